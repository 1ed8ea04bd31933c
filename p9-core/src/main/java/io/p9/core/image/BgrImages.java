package io.p9.core.image;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.DirectColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.PixelInterleavedSampleModel;
import java.awt.image.Raster;
import java.awt.image.SampleModel;

/**
 * Turns whatever {@code BufferedImage} an ImageIO reader returns into 8-bit interleaved BGR.
 *
 * <p>Samples of RGB and gray images are taken as stored (scaled to 8 bits, signed integers from their full
 * range, floating-point ones from [0, 1]), with no colour-space conversion, as PIL and OpenCV do; in particular
 * Java's linear {@code CS_GRAY} is not gamma-converted. Palette images go through their palette; anything else
 * (CMYK, YCbCr) through the colour model's sRGB conversion. Alpha, straight or premultiplied, is composited on
 * the background colour.
 */
final class BgrImages {
  private BgrImages() {}

  /**
   * {@code background} is 0xRRGGBB; {@code premultiplied}: the file says that its colour samples are
   * premultiplied by alpha, whatever the colour model says (TIFF associated alpha, see
   * {@link EncodedStructure#tiffAlphaIsAssociated}); {@code signed}: the file says that its integer samples are
   * signed, whatever the raster's type says (TIFF SampleFormat 2, see
   * {@link EncodedStructure#tiffSamplesAreSigned}).
   */
  static PixelImage toBgr(BufferedImage image, int background, boolean premultiplied, boolean signed) {
    int w = image.getWidth();
    int h = image.getHeight();
    byte[] direct = signed ? null : sharedBgrBuffer(image);
    if (direct != null) {
      return new PixelImage(w, h, 3, direct);
    }
    byte[] out = new byte[w * h * 3];
    ColorModel cm = image.getColorModel();
    Raster raster = image.getRaster();
    if (cm instanceof IndexColorModel icm) {
      fromPalette(raster, icm, background, out);
    } else if (isPlainRgbOrGray(cm) && raster.getDataBuffer() instanceof DataBufferByte
        && raster.getSampleModel() instanceof PixelInterleavedSampleModel && allBits(cm, 8) && !signed) {
      fromInterleavedBytes(raster, cm, background, premultiplied, out);
    } else if (isPlainRgbOrGray(cm)) {
      fromSamples(raster, cm, background, premultiplied, signed, out);
    } else {
      fromArgb(image, background, out);
    }
    return new PixelImage(w, h, 3, out);
  }

  /**
   * The raster's own array when it is exactly {@code w * h * 3} bytes of B, G, R (a plain
   * {@code TYPE_3BYTE_BGR}, which is what the JPEG readers return for ordinary colour JPEGs); else null.
   */
  private static byte[] sharedBgrBuffer(BufferedImage image) {
    if (image.getType() != BufferedImage.TYPE_3BYTE_BGR) {
      return null;
    }
    Raster r = image.getRaster();
    if (!(r.getDataBuffer() instanceof DataBufferByte db) || db.getNumBanks() != 1 || db.getOffset() != 0
        || r.getSampleModelTranslateX() != 0 || r.getSampleModelTranslateY() != 0
        || !(r.getSampleModel() instanceof PixelInterleavedSampleModel sm)) {
      return null;
    }
    int w = image.getWidth();
    int[] bands = sm.getBandOffsets();
    byte[] data = db.getData();
    boolean bgr = sm.getPixelStride() == 3 && sm.getScanlineStride() == 3 * w && bands.length == 3
        && bands[0] == 2 && bands[1] == 1 && bands[2] == 0;
    return bgr && data.length == 3 * w * image.getHeight() ? data : null;
  }

  private static boolean isPlainRgbOrGray(ColorModel cm) {
    if (!(cm instanceof ComponentColorModel || cm instanceof DirectColorModel)) {
      return false;
    }
    int type = cm.getColorSpace().getType();
    return type == ColorSpace.TYPE_RGB && cm.getNumColorComponents() == 3
        || type == ColorSpace.TYPE_GRAY && cm.getNumColorComponents() == 1;
  }

  private static boolean allBits(ColorModel cm, int bits) {
    for (int s : cm.getComponentSize()) {
      if (s != bits) {
        return false;
      }
    }
    return true;
  }

  private static boolean isIntegral(int transferType) {
    return transferType == DataBuffer.TYPE_BYTE || transferType == DataBuffer.TYPE_USHORT
        || transferType == DataBuffer.TYPE_SHORT || transferType == DataBuffer.TYPE_INT;
  }

  /** 8-bit RGB(A) / gray(+alpha) in one interleaved byte array: PNG, BMP, TIFF, gray JPEG. */
  private static void fromInterleavedBytes(Raster r, ColorModel cm, int background, boolean premultipliedData,
      byte[] out) {
    PixelInterleavedSampleModel sm = (PixelInterleavedSampleModel) r.getSampleModel();
    DataBufferByte db = (DataBufferByte) r.getDataBuffer();
    byte[] src = db.getData(sm.getBankIndices()[0]);
    int[] bands = sm.getBandOffsets();
    int ps = sm.getPixelStride();
    int ss = sm.getScanlineStride();
    int origin = db.getOffsets()[sm.getBankIndices()[0]] - r.getSampleModelTranslateY() * ss
        - r.getSampleModelTranslateX() * ps;
    boolean gray = cm.getNumColorComponents() == 1;
    int ob = gray ? bands[0] : bands[2];
    int og = gray ? bands[0] : bands[1];
    int or = bands[0];
    boolean alpha = cm.hasAlpha();
    int oa = alpha ? bands[cm.getNumColorComponents()] : 0;
    boolean premultiplied = cm.isAlphaPremultiplied() || premultipliedData;
    int bgB = background & 0xFF;
    int bgG = (background >> 8) & 0xFF;
    int bgR = (background >> 16) & 0xFF;
    int w = r.getWidth();
    int h = r.getHeight();
    int d = 0;
    for (int y = 0; y < h; y++) {
      int p = origin + y * ss;
      for (int x = 0; x < w; x++, p += ps) {
        int b = src[p + ob] & 0xFF;
        int g = src[p + og] & 0xFF;
        int rr = src[p + or] & 0xFF;
        if (alpha) {
          int a = src[p + oa] & 0xFF;
          b = composite(b, a, bgB, premultiplied);
          g = composite(g, a, bgG, premultiplied);
          rr = composite(rr, a, bgR, premultiplied);
        }
        out[d++] = (byte) b;
        out[d++] = (byte) g;
        out[d++] = (byte) rr;
      }
    }
  }

  /**
   * Any other RGB(A) / gray(+alpha) layout and sample type: integers of any bit depth (16-bit PNG, packed
   * ints, ...) scaled from 0..2^n-1, signed ones (TIFF: TYPE_SHORT, or any integers where {@code signedData})
   * from -2^(n-1)..2^(n-1)-1, floating point (TIFF) from [0, 1], clamped.
   */
  private static void fromSamples(Raster r, ColorModel cm, int background, boolean premultipliedData,
      boolean signedData, byte[] out) {
    int w = r.getWidth();
    int h = r.getHeight();
    int bands = r.getNumBands();
    int colours = cm.getNumColorComponents();
    boolean alpha = cm.hasAlpha();
    boolean premultiplied = cm.isAlphaPremultiplied() || premultipliedData;
    boolean integral = isIntegral(r.getTransferType());
    boolean signed = signedData || r.getTransferType() == DataBuffer.TYPE_SHORT;
    long[] max = new long[bands];
    int[] signBit = new int[bands]; // flipped, it maps two's complement -2^(n-1) to 0 and 2^(n-1)-1 to 2^n-1
    for (int i = 0; i < bands; i++) {
      max[i] = (1L << cm.getComponentSize(i)) - 1;
      signBit[i] = signed ? 1 << (cm.getComponentSize(i) - 1) : 0;
    }
    int[] bg = {background & 0xFF, (background >> 8) & 0xFF, (background >> 16) & 0xFF};
    int[] row = new int[w * bands];
    float[] unit = integral ? null : new float[w * bands];
    int[] bgr = new int[3];
    int d = 0;
    for (int y = 0; y < h; y++) {
      // the row's samples scaled to 8 bits
      if (integral) {
        r.getPixels(r.getMinX(), r.getMinY() + y, w, 1, row);
        for (int i = 0; i < row.length; i++) {
          row[i] = to8(row[i] ^ signBit[i % bands], max[i % bands]);
        }
      } else {
        r.getPixels(r.getMinX(), r.getMinY() + y, w, 1, unit);
        for (int i = 0; i < row.length; i++) {
          row[i] = Math.round(Math.min(1f, Math.max(0f, unit[i])) * 255f);
        }
      }
      for (int x = 0, s = 0; x < w; x++, s += bands) {
        if (colours == 1) {
          int v = row[s];
          bgr[0] = v;
          bgr[1] = v;
          bgr[2] = v;
        } else {
          bgr[0] = row[s + 2];
          bgr[1] = row[s + 1];
          bgr[2] = row[s];
        }
        if (alpha) {
          int a = row[s + colours];
          for (int c = 0; c < 3; c++) {
            bgr[c] = composite(bgr[c], a, bg[c], premultiplied);
          }
        }
        out[d++] = (byte) bgr[0];
        out[d++] = (byte) bgr[1];
        out[d++] = (byte) bgr[2];
      }
    }
  }

  /** Palette (and 1/2/4-bit gray, which Java models as a palette), with per-entry alpha. */
  private static void fromPalette(Raster r, IndexColorModel icm, int background, byte[] out) {
    int size = icm.getMapSize();
    int[] argb = new int[size];
    icm.getRGBs(argb);
    byte[] lut = new byte[size * 3];
    for (int i = 0; i < size; i++) {
      int c = composite(argb[i], background);
      lut[3 * i] = (byte) c;
      lut[3 * i + 1] = (byte) (c >> 8);
      lut[3 * i + 2] = (byte) (c >> 16);
    }
    int w = r.getWidth();
    int h = r.getHeight();
    int[] row = new int[w];
    int d = 0;
    for (int y = 0; y < h; y++) {
      r.getSamples(r.getMinX(), r.getMinY() + y, w, 1, 0, row);
      for (int x = 0; x < w; x++) {
        int i = row[x];
        int e = (i >= 0 && i < size ? i : 0) * 3;
        out[d++] = lut[e];
        out[d++] = lut[e + 1];
        out[d++] = lut[e + 2];
      }
    }
  }

  /** Through the colour model's own sRGB conversion: CMYK, YCbCr, anything else. */
  private static void fromArgb(BufferedImage image, int background, byte[] out) {
    int w = image.getWidth();
    int h = image.getHeight();
    int[] row = new int[w];
    int d = 0;
    for (int y = 0; y < h; y++) {
      image.getRGB(0, y, w, 1, row, 0, w);
      for (int x = 0; x < w; x++) {
        int c = composite(row[x], background);
        out[d++] = (byte) c;
        out[d++] = (byte) (c >> 8);
        out[d++] = (byte) (c >> 16);
      }
    }
  }

  /**
   * An n-bit unsigned sample ({@code max = 2^n - 1}) scaled to 8 bits. As Java's colour models read them,
   * the sample is the low n bits of {@code v}: a 32-bit sample of 2^31 or more arrives as a negative int.
   */
  private static int to8(int v, long max) {
    if (max == 255) {
      return v & 0xFF;
    }
    return (int) (((v & max) * 255 + max / 2) / max);
  }

  /** One 8-bit channel over the background with 8-bit alpha. */
  private static int composite(int c, int a, int bg, boolean premultiplied) {
    if (a == 255) {
      return c;
    }
    if (premultiplied) {
      return Math.min(255, c + (bg * (255 - a) + 127) / 255);
    }
    return (c * a + bg * (255 - a) + 127) / 255;
  }

  /** Straight ARGB over the RGB background; returns 0xRRGGBB. */
  private static int composite(int argb, int background) {
    int a = argb >>> 24;
    if (a == 255) {
      return argb & 0xFFFFFF;
    }
    int r = composite((argb >> 16) & 0xFF, a, (background >> 16) & 0xFF, false);
    int g = composite((argb >> 8) & 0xFF, a, (background >> 8) & 0xFF, false);
    int b = composite(argb & 0xFF, a, background & 0xFF, false);
    return r << 16 | g << 8 | b;
  }
}
