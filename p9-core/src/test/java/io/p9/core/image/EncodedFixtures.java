package io.p9.core.image;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.zip.CRC32;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOInvalidTreeException;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageOutputStream;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * Encoded test files, generated at test time with ImageIO writers and byte-level edits (nothing binary is
 * committed): JPEG variants, PNG chunk surgery, EXIF blocks, and a minimal lossless WebP encoder.
 */
final class EncodedFixtures {
  private EncodedFixtures() {}

  static byte[] encode(BufferedImage img, String format) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      if (!ImageIO.write(img, format, out)) {
        throw new IllegalStateException("no ImageIO writer for " + format + " and image type "
            + img.getType());
      }
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** JPEG at the given quality, baseline or progressive, written by the JDK's own writer. */
  static byte[] jpeg(BufferedImage img, float quality, boolean progressive) {
    ImageWriter writer = jdkJpegWriter();
    ImageWriteParam param = writer.getDefaultWriteParam();
    if (progressive) {
      param.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
    }
    param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
    param.setCompressionQuality(quality);
    return write(writer, new IIOImage(img, null, null), param);
  }

  /**
   * A progressive JPEG (the JDK writer's scan script) at quality 0.9 whose first component is sampled
   * {@code h}x{@code v} and the others 1x1, with a restart marker every {@code restartInterval} MCUs (0: none).
   */
  static byte[] progressiveJpeg(BufferedImage img, int h, int v, int restartInterval) {
    return jpeg(img, h, v, restartInterval, true);
  }

  /** As {@link #progressiveJpeg}, or baseline if {@code progressive} is false. */
  static byte[] jpeg(BufferedImage img, int h, int v, int restartInterval, boolean progressive) {
    ImageWriter writer = jdkJpegWriter();
    ImageWriteParam param = writer.getDefaultWriteParam();
    if (progressive) {
      param.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
    }
    param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
    param.setCompressionQuality(0.9f);
    IIOMetadata metadata = writer.getDefaultImageMetadata(new ImageTypeSpecifier(img), param);
    String format = "javax_imageio_jpeg_image_1.0";
    IIOMetadataNode tree = (IIOMetadataNode) metadata.getAsTree(format);
    NodeList components = tree.getElementsByTagName("componentSpec");
    for (int i = 0; i < components.getLength(); i++) {
      ((IIOMetadataNode) components.item(i)).setAttribute("HsamplingFactor", String.valueOf(i == 0 ? h : 1));
      ((IIOMetadataNode) components.item(i)).setAttribute("VsamplingFactor", String.valueOf(i == 0 ? v : 1));
    }
    if (restartInterval > 0) {
      IIOMetadataNode dri = new IIOMetadataNode("dri");
      dri.setAttribute("interval", String.valueOf(restartInterval));
      Node sof = tree.getElementsByTagName("sof").item(0);
      sof.getParentNode().insertBefore(dri, sof);
    }
    try {
      metadata.setFromTree(format, tree);
    } catch (IIOInvalidTreeException e) {
      throw new IllegalStateException(e);
    }
    return write(writer, new IIOImage(img, null, metadata), param);
  }

  /** A JPEG of a 4-band raster as it is (no colour conversion, no Adobe marker). */
  static byte[] jpegOfRaster(Raster raster) {
    return jpegOfRaster(raster, false);
  }

  /** As {@link #jpegOfRaster(Raster)}, baseline or progressive (the JDK writer's scan script). */
  static byte[] jpegOfRaster(Raster raster, boolean progressive) {
    ImageWriter writer = jdkJpegWriter();
    ImageWriteParam param = writer.getDefaultWriteParam();
    if (progressive) {
      param.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
    }
    param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
    param.setCompressionQuality(1f);
    return write(writer, new IIOImage(raster, null, null), param);
  }

  /**
   * A TIFF written by the JDK's own writer, which (unlike TwelveMonkeys') takes 16- and 32-bit integer
   * samples in a {@code ComponentColorModel}.
   */
  static byte[] jdkTiff(BufferedImage img) {
    return jdkTiff(img, null, 0);
  }

  /** As {@link #jdkTiff(BufferedImage)}, with a compression type (null: none) and square tiles (0: strips). */
  static byte[] jdkTiff(BufferedImage img, String compression, int tile) {
    ImageWriter writer = jdkWriter("tiff");
    ImageWriteParam param = writer.getDefaultWriteParam();
    if (compression != null) {
      param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
      param.setCompressionType(compression);
    }
    if (tile > 0) {
      param.setTilingMode(ImageWriteParam.MODE_EXPLICIT);
      param.setTiling(tile, tile, 0, 0);
    }
    return write(writer, new IIOImage(img, null, null), param);
  }

  /**
   * The TIFF with every value of its first directory's SampleFormat tag (339, of type SHORT, as the JDK's writer
   * writes it for 16- and 32-bit samples) set to {@code format} (1: unsigned integers, 2: signed).
   */
  static byte[] withTiffSampleFormat(byte[] tiff, int format) {
    byte[] out = tiff.clone();
    ByteBuffer b = ByteBuffer.wrap(out).order(out[0] == 'I' ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
    int ifd = b.getInt(4);
    for (int i = 0, e = ifd + 2; i < b.getShort(ifd); i++, e += 12) {
      if (b.getShort(e) == 339 && b.getShort(e + 2) == 3) {
        int count = b.getInt(e + 4);
        int values = count <= 2 ? e + 8 : b.getInt(e + 8);
        for (int v = 0; v < count; v++) {
          b.putShort(values + 2 * v, (short) format);
        }
        return out;
      }
    }
    throw new IllegalArgumentException("no SampleFormat tag of type SHORT in the first directory");
  }

  /**
   * The file (a JPEG, or a TIFF holding JPEG data) with 8 bytes of the entropy-coded data after its first SOS
   * segment replaced by stuffed 0xFF bytes (FF 00): all-ones codes, which no Huffman table holds.
   */
  static byte[] withBadHuffmanCodes(byte[] file) {
    byte[] out = file.clone();
    int data = scanData(out);
    for (int i = 8; i < 24; i += 2) {
      out[data + i] = (byte) 0xFF;
      out[data + i + 1] = 0;
    }
    return out;
  }

  /** Where the entropy-coded data after the first SOS segment of the file (a JPEG, or a TIFF holding one) start. */
  static int scanData(byte[] file) {
    int sos = 2;
    while (!(file[sos] == (byte) 0xFF && file[sos + 1] == (byte) 0xDA)) {
      sos++;
    }
    return sos + 2 + (((file[sos + 2] & 0xFF) << 8) | (file[sos + 3] & 0xFF));
  }

  private static ImageWriter jdkJpegWriter() {
    return jdkWriter("jpeg");
  }

  private static ImageWriter jdkWriter(String format) {
    for (Iterator<ImageWriter> it = ImageIO.getImageWritersByFormatName(format); it.hasNext(); ) {
      ImageWriter w = it.next();
      if (w.getClass().getName().startsWith("com.sun.imageio.")) {
        return w;
      }
    }
    throw new IllegalStateException("the JDK " + format + " writer is not registered");
  }

  /** A new JPEG reader whose class name starts with {@code vendor}: "com.sun.imageio." or "com.twelvemonkeys.". */
  static ImageReader jpegReader(String vendor) {
    for (Iterator<ImageReader> it = ImageIO.getImageReadersByFormatName("jpeg"); it.hasNext(); ) {
      ImageReader r = it.next();
      if (r.getClass().getName().startsWith(vendor)) {
        return r;
      }
    }
    throw new IllegalStateException("no JPEG reader of " + vendor + " is registered");
  }

  private static byte[] write(ImageWriter writer, IIOImage image, ImageWriteParam param) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ImageOutputStream ios = ImageIO.createImageOutputStream(out)) {
      writer.setOutput(ios);
      writer.write(null, image, param);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      writer.dispose();
    }
    return out.toByteArray();
  }

  /** Inserts a segment (marker + payload, length computed) right after SOI. */
  static byte[] withJpegSegmentAfterSoi(byte[] jpeg, int marker, byte[] payload) {
    return insert(jpeg, 2, jpegSegment(marker, payload));
  }

  static byte[] jpegSegment(int marker, byte[] payload) {
    byte[] seg = new byte[4 + payload.length];
    seg[0] = (byte) 0xFF;
    seg[1] = (byte) marker;
    seg[2] = (byte) ((payload.length + 2) >> 8);
    seg[3] = (byte) (payload.length + 2);
    System.arraycopy(payload, 0, seg, 4, payload.length);
    return seg;
  }

  /**
   * The APP2 segments that embed {@code profile}, split into {@code chunks} parts as the ICC spec allows
   * (each {@code "ICC_PROFILE\0"}, sequence number from 1, number of chunks, then its part).
   */
  static byte[] iccSegments(byte[] profile, int chunks) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int per = (profile.length + chunks - 1) / chunks;
    for (int i = 0; i < chunks; i++) {
      int from = Math.min(profile.length, i * per);
      int to = Math.min(profile.length, from + per);
      byte[] payload = new byte[14 + to - from];
      System.arraycopy("ICC_PROFILE\0".getBytes(StandardCharsets.US_ASCII), 0, payload, 0, 12);
      payload[12] = (byte) (i + 1);
      payload[13] = (byte) chunks;
      System.arraycopy(profile, from, payload, 14, to - from);
      out.writeBytes(jpegSegment(0xE2, payload));
    }
    return out.toByteArray();
  }

  /** The JPEG without its header segments (before the first scan) of the given marker: DQT 0xDB, DHT 0xC4. */
  static byte[] jpegWithout(byte[] jpeg, int marker) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(jpeg, 0, 2);
    int pos = 2;
    while ((jpeg[pos + 1] & 0xFF) != 0xDA) {
      int bytes = 2 + (((jpeg[pos + 2] & 0xFF) << 8) | (jpeg[pos + 3] & 0xFF));
      if ((jpeg[pos + 1] & 0xFF) != marker) {
        out.write(jpeg, pos, bytes);
      }
      pos += bytes;
    }
    out.write(jpeg, pos, jpeg.length - pos);
    return out.toByteArray();
  }

  /**
   * The JPEG with its quantization tables (the DQT segments before its first scan) stored with 16-bit values
   * (precision Pq = 1), as an encoder writes tables with values over 255, each value times {@code scale} (1: the
   * same values, the same image).
   */
  static byte[] jpegWithSixteenBitQuantTables(byte[] jpeg, int scale) {
    return jpegWithHeader(jpeg, segments -> segments.stream().map(s -> {
      if ((s[1] & 0xFF) != 0xDB) {
        return s;
      }
      ByteArrayOutputStream payload = new ByteArrayOutputStream();
      for (int p = 4; p < s.length; p += 65) {
        payload.write(0x10 | (s[p] & 0x0F));
        for (int i = 1; i <= 64; i++) {
          int value = (s[p + i] & 0xFF) * scale;
          payload.write(value >> 8);
          payload.write(value);
        }
      }
      return jpegSegment(0xDB, payload.toByteArray());
    }).toList());
  }

  /** The JPEG with its quantization tables (DQT) moved from before its frame header (SOFn) to right after it. */
  static byte[] jpegWithQuantTablesAfterFrame(byte[] jpeg) {
    return jpegWithHeader(jpeg, segments -> {
      List<byte[]> tables = segments.stream().filter(s -> (s[1] & 0xFF) == 0xDB).toList();
      List<byte[]> out = new ArrayList<>();
      for (byte[] s : segments) {
        if ((s[1] & 0xFF) != 0xDB) {
          out.add(s);
        }
        if ((s[1] & 0xFF) >= 0xC0 && (s[1] & 0xFF) <= 0xC2) {
          out.addAll(tables);
        }
      }
      return out;
    });
  }

  /** The JPEG with the segments between SOI and its first SOS (each whole, marker first) edited. */
  private static byte[] jpegWithHeader(byte[] jpeg, UnaryOperator<List<byte[]>> edit) {
    List<byte[]> segments = new ArrayList<>();
    int pos = 2;
    while ((jpeg[pos + 1] & 0xFF) != 0xDA) {
      int bytes = 2 + (((jpeg[pos + 2] & 0xFF) << 8) | (jpeg[pos + 3] & 0xFF));
      segments.add(Arrays.copyOfRange(jpeg, pos, pos + bytes));
      pos += bytes;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(jpeg, 0, 2);
    edit.apply(segments).forEach(out::writeBytes);
    out.write(jpeg, pos, jpeg.length - pos);
    return out.toByteArray();
  }

  /**
   * The JPEG without the first segment of the given marker that comes after its first scan (a progressive JPEG's
   * DHT for a later scan, say).
   */
  static byte[] jpegWithoutOneAfterFirstScan(byte[] jpeg, int marker) {
    int pos = 2;
    while ((jpeg[pos + 1] & 0xFF) != 0xDA) {
      pos += 2 + (((jpeg[pos + 2] & 0xFF) << 8) | (jpeg[pos + 3] & 0xFF));
    }
    while (pos + 4 <= jpeg.length) {
      if (jpeg[pos] == (byte) 0xFF && (jpeg[pos + 1] & 0xFF) == marker) {
        int bytes = 2 + (((jpeg[pos + 2] & 0xFF) << 8) | (jpeg[pos + 3] & 0xFF));
        byte[] out = new byte[jpeg.length - bytes];
        System.arraycopy(jpeg, 0, out, 0, pos);
        System.arraycopy(jpeg, pos + bytes, out, pos, jpeg.length - pos - bytes);
        return out;
      }
      pos++;
    }
    throw new IllegalArgumentException(String.format("no marker %x after the first scan", marker));
  }

  /** Offset just past the JPEG's APP0 (JFIF) segment, or 2 (past SOI) if it has none there. */
  static int jpegAfterApp0(byte[] jpeg) {
    if ((jpeg[3] & 0xFF) != 0xE0) {
      return 2;
    }
    return 4 + (((jpeg[4] & 0xFF) << 8) | (jpeg[5] & 0xFF));
  }

  /** Adobe APP14 marker: transform 0 = CMYK (stored inverted, as Photoshop does), 2 = YCCK. */
  static byte[] withAdobeMarker(byte[] jpeg, int transform) {
    byte[] payload = {'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, (byte) transform};
    return withJpegSegmentAfterSoi(jpeg, 0xEE, payload);
  }

  /** APP1 "Exif\0\0" + a TIFF block whose IFD0 holds only the orientation tag. */
  static byte[] withJpegExifOrientation(byte[] jpeg, int orientation) {
    byte[] tiff = exifTiff(orientation);
    byte[] payload = new byte[6 + tiff.length];
    System.arraycopy(new byte[] {'E', 'x', 'i', 'f', 0, 0}, 0, payload, 0, 6);
    System.arraycopy(tiff, 0, payload, 6, tiff.length);
    return withJpegSegmentAfterSoi(jpeg, 0xE1, payload);
  }

  /**
   * A big-endian TIFF header and one IFD with a single entry: tag 0x0112 (Orientation), type 3 (SHORT),
   * count 1, value left-justified in the 4-byte value field; then a zero next-IFD offset.
   */
  static byte[] exifTiff(int orientation) {
    return new byte[] {
        'M', 'M', 0, 42, 0, 0, 0, 8, // byte order, magic, offset of IFD0
        0, 1, // one entry
        0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, (byte) orientation, 0, 0,
        0, 0, 0, 0}; // no next IFD
  }

  /** An eXIf chunk with the orientation, inserted after IHDR. */
  static byte[] withPngExifOrientation(byte[] png, int orientation) {
    return insert(png, 33, pngChunk("eXIf", exifTiff(orientation)));
  }

  static byte[] pngChunk(String type, byte[] data) {
    byte[] chunk = new byte[12 + data.length];
    putInt(chunk, 0, data.length);
    for (int i = 0; i < 4; i++) {
      chunk[4 + i] = (byte) type.charAt(i);
    }
    System.arraycopy(data, 0, chunk, 8, data.length);
    CRC32 crc = new CRC32();
    crc.update(chunk, 4, 4 + data.length);
    putInt(chunk, 8 + data.length, (int) crc.getValue());
    return chunk;
  }

  /** The PNG with its IHDR width/height (and CRC) rewritten; the pixel data is left as it is. */
  static byte[] pngWithHeaderSize(byte[] png, int width, int height) {
    byte[] out = png.clone();
    putInt(out, 16, width);
    putInt(out, 20, height);
    fixIhdrCrc(out);
    return out;
  }

  /** The PNG with its IHDR bit depth byte set to {@code depth} (and CRC fixed). */
  static byte[] pngWithBitDepth(byte[] png, int depth) {
    byte[] out = png.clone();
    out[24] = (byte) depth;
    fixIhdrCrc(out);
    return out;
  }

  private static void fixIhdrCrc(byte[] png) {
    CRC32 crc = new CRC32();
    crc.update(png, 12, 4 + 13);
    putInt(png, 29, (int) crc.getValue());
  }

  /** The JPEG with the first SOF0/SOF1/SOF2 segment's height and width rewritten. */
  static byte[] jpegWithHeaderSize(byte[] jpeg, int width, int height) {
    byte[] out = jpeg.clone();
    int sof = jpegSofOffset(out);
    out[sof + 5] = (byte) (height >> 8);
    out[sof + 6] = (byte) height;
    out[sof + 7] = (byte) (width >> 8);
    out[sof + 8] = (byte) width;
    return out;
  }

  /** Offset of the 0xFF of the first SOF0..SOF2 marker, walking the segments from SOI. */
  static int jpegSofOffset(byte[] jpeg) {
    int pos = 2;
    while (pos + 4 <= jpeg.length) {
      int marker = jpeg[pos + 1] & 0xFF;
      if (marker >= 0xC0 && marker <= 0xC2) {
        return pos;
      }
      pos += 2 + (((jpeg[pos + 2] & 0xFF) << 8) | (jpeg[pos + 3] & 0xFF));
    }
    throw new IllegalArgumentException("no SOF marker");
  }

  static byte[] insert(byte[] data, int at, byte[] what) {
    byte[] out = new byte[data.length + what.length];
    System.arraycopy(data, 0, out, 0, at);
    System.arraycopy(what, 0, out, at, what.length);
    System.arraycopy(data, at, out, at + what.length, data.length - at);
    return out;
  }

  static byte[] firstHalf(byte[] data) {
    return Arrays.copyOf(data, data.length / 2);
  }

  private static void putInt(byte[] b, int at, int v) {
    b[at] = (byte) (v >>> 24);
    b[at + 1] = (byte) (v >>> 16);
    b[at + 2] = (byte) (v >>> 8);
    b[at + 3] = (byte) v;
  }

  /**
   * An uncompressed 8-bit RGB TIFF laid out as libtiff and PIL write it: header, then the pixels (one strip),
   * then the IFD at the end of the file. {@code rgb} is {@code w * h * 3} bytes, R, G, B.
   */
  static byte[] tiffWithIfdLast(int w, int h, byte[] rgb) {
    return tiffWithIfdLast(w, h, rgb, 3, -1, 0);
  }

  /**
   * As {@link #tiffWithIfdLast(int, int, byte[])} with 3 or 4 samples per pixel ({@code w * h * samples}
   * bytes, R, G, B[, A]); for 4, an ExtraSamples tag with {@code extraSample} (1: associated, that is
   * premultiplied, alpha; 2: unassociated alpha); a SampleFormat tag with {@code sampleFormat} unless it is 0
   * (1: unsigned integers, 2: signed).
   */
  static byte[] tiffWithIfdLast(int w, int h, byte[] samples, int samplesPerPixel, int extraSample,
      int sampleFormat) {
    int bitsAt = 8 + samples.length;
    int ifdAt = (bitsAt + 2 * samplesPerPixel + 1) & ~1; // word aligned
    java.util.List<int[]> tags = new java.util.ArrayList<>(java.util.List.of( // tag, type (3 SHORT, 4 LONG),
        new int[] {256, 4, 1, w}, new int[] {257, 4, 1, h}, // count, value or offset
        new int[] {258, 3, samplesPerPixel, bitsAt}, new int[] {259, 3, 1, 1}, new int[] {262, 3, 1, 2},
        new int[] {273, 4, 1, 8}, new int[] {277, 3, 1, samplesPerPixel}, new int[] {278, 4, 1, h},
        new int[] {279, 4, 1, samples.length}));
    if (samplesPerPixel == 4) {
      tags.add(new int[] {338, 3, 1, extraSample});
    }
    if (sampleFormat != 0) {
      tags.add(new int[] {339, 3, 1, sampleFormat});
    }
    int entries = tags.size();
    byte[] out = new byte[ifdAt + 2 + entries * 12 + 4];
    out[0] = 'I';
    out[1] = 'I';
    out[2] = 42;
    putIntLe(out, 4, ifdAt);
    System.arraycopy(samples, 0, out, 8, samples.length);
    for (int i = 0; i < samplesPerPixel; i++) {
      out[bitsAt + 2 * i] = 8;
    }
    out[ifdAt] = (byte) entries;
    for (int i = 0; i < entries; i++) {
      int[] tag = tags.get(i);
      int at = ifdAt + 2 + 12 * i;
      out[at] = (byte) tag[0];
      out[at + 1] = (byte) (tag[0] >> 8);
      out[at + 2] = (byte) tag[1];
      putIntLe(out, at + 4, tag[2]);
      putIntLe(out, at + 8, tag[3]);
    }
    return out;
  }

  /**
   * A one-row 32-bit BI_RGB BMP with a DIB header of {@code headerSize} bytes (40, 56, 108 or 124) whose
   * colour masks and colour-space fields are left zero, pixels stored B, G, R, 0.
   */
  static byte[] bmp32BiRgb(int headerSize, int[] rgb) {
    int dataAt = 14 + headerSize;
    byte[] b = new byte[dataAt + 4 * rgb.length];
    b[0] = 'B';
    b[1] = 'M';
    putIntLe(b, 2, b.length);
    putIntLe(b, 10, dataAt);
    putIntLe(b, 14, headerSize);
    putIntLe(b, 18, rgb.length);
    putIntLe(b, 22, 1);
    b[26] = 1; // planes
    b[28] = 32; // bits per pixel; compression (30..33) 0 = BI_RGB
    putIntLe(b, 34, 4 * rgb.length);
    for (int i = 0; i < rgb.length; i++) {
      b[dataAt + 4 * i] = (byte) rgb[i];
      b[dataAt + 4 * i + 1] = (byte) (rgb[i] >> 8);
      b[dataAt + 4 * i + 2] = (byte) (rgb[i] >> 16);
    }
    return b;
  }

  /**
   * A lossless WebP (RIFF + VP8L) of a two-colour image, {@code pixels[y * w + x]} choosing colour 0 or 1
   * (0xAARRGGBB). Written from the VP8L bitstream specification (RFC 9649): no transforms, no colour
   * cache, one prefix-code group of "simple" codes with one or two 8-bit symbols per channel, so each
   * channel in which the colours differ costs one bit per pixel (the smaller value has code 0).
   */
  static byte[] webpLossless(int w, int h, int colour0, int colour1, boolean[] pixels) {
    BitWriter bits = new BitWriter();
    bits.write(0x2F, 8); // signature
    bits.write(w - 1, 14);
    bits.write(h - 1, 14);
    bits.write(1, 1); // alpha_is_used (a hint)
    bits.write(0, 3); // version
    bits.write(0, 1); // no transform
    bits.write(0, 1); // no colour cache
    bits.write(0, 1); // no meta prefix codes
    int[] shifts = {8, 16, 0, 24}; // green, red, blue, alpha
    for (int shift : shifts) {
      int a = (colour0 >>> shift) & 0xFF;
      int b = (colour1 >>> shift) & 0xFF;
      bits.write(1, 1); // simple code
      if (a == b) {
        bits.write(0, 1); // one symbol
        bits.write(1, 1); // 8-bit symbol
        bits.write(a, 8);
      } else {
        // Two symbols, the smaller first: that is how libwebp writes them, and where readers agree on
        // which gets code 0 (the canonical order says the smaller; some readers take the first listed).
        bits.write(1, 1);
        bits.write(1, 1);
        bits.write(Math.min(a, b), 8);
        bits.write(Math.max(a, b), 8);
      }
    }
    bits.write(1, 1); // distance code: simple, one symbol 0
    bits.write(0, 1);
    bits.write(1, 1);
    bits.write(0, 8);
    for (boolean p : pixels) {
      int colour = p ? colour1 : colour0;
      for (int shift : shifts) {
        int a = (colour0 >>> shift) & 0xFF;
        int b = (colour1 >>> shift) & 0xFF;
        if (a != b) {
          int v = (colour >>> shift) & 0xFF;
          bits.write(v == Math.max(a, b) ? 1 : 0, 1);
        }
      }
    }
    byte[] vp8l = bits.toByteArray();
    int padded = vp8l.length + (vp8l.length & 1);
    byte[] out = new byte[20 + padded];
    System.arraycopy(new byte[] {'R', 'I', 'F', 'F'}, 0, out, 0, 4);
    putIntLe(out, 4, out.length - 8);
    System.arraycopy(new byte[] {'W', 'E', 'B', 'P', 'V', 'P', '8', 'L'}, 0, out, 8, 8);
    putIntLe(out, 16, vp8l.length);
    System.arraycopy(vp8l, 0, out, 20, vp8l.length);
    return out;
  }

  /**
   * The GIF with its logical screen set to {@code screenW x screenH} and its first image descriptor moved to
   * ({@code left}, {@code top}); the frame's own size and pixels are left as they are.
   */
  static byte[] gifWithFrameAt(byte[] gif, int screenW, int screenH, int left, int top) {
    byte[] out = gif.clone();
    putShortLe(out, 6, screenW);
    putShortLe(out, 8, screenH);
    int flags = out[10] & 0xFF;
    int pos = 13 + ((flags & 0x80) != 0 ? 3 << ((flags & 7) + 1) : 0);
    while (out[pos] == 0x21) { // extension: introducer, label, sub-blocks up to an empty one
      pos += 2;
      while (out[pos] != 0) {
        pos += 1 + (out[pos] & 0xFF);
      }
      pos++;
    }
    if (out[pos] != 0x2C) {
      throw new IllegalArgumentException("no image descriptor at " + pos);
    }
    putShortLe(out, pos + 1, left);
    putShortLe(out, pos + 3, top);
    return out;
  }

  /**
   * The GIF with its first image's LZW data cut into sub-blocks of {@code size} bytes (the last one
   * shorter), as an encoder may legally write them; {@code size} 0 drops the data (only the empty
   * sub-block that ends it is left).
   */
  static byte[] gifWithDataInSubBlocksOf(byte[] gif, int size) {
    int flags = gif[10] & 0xFF;
    int pos = 13 + ((flags & 0x80) != 0 ? 3 << ((flags & 7) + 1) : 0);
    while (gif[pos] == 0x21) {
      pos += 2;
      while (gif[pos] != 0) {
        pos += 1 + (gif[pos] & 0xFF);
      }
      pos++;
    }
    int local = gif[pos + 9] & 0xFF;
    pos += 10 + ((local & 0x80) != 0 ? 3 << ((local & 7) + 1) : 0) + 1; // descriptor, colour table, code size
    ByteArrayOutputStream data = new ByteArrayOutputStream();
    int end = pos;
    while (gif[end] != 0) {
      data.write(gif, end + 1, gif[end] & 0xFF);
      end += 1 + (gif[end] & 0xFF);
    }
    byte[] d = size == 0 ? new byte[0] : data.toByteArray();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(gif, 0, pos);
    for (int i = 0; i < d.length; i += size) {
      out.write(Math.min(size, d.length - i));
      out.write(d, i, Math.min(size, d.length - i));
    }
    out.write(gif, end, gif.length - end);
    return out.toByteArray();
  }

  private static void putShortLe(byte[] b, int at, int v) {
    b[at] = (byte) v;
    b[at + 1] = (byte) (v >>> 8);
  }

  /**
   * The simple-format WebP {@code webp} (RIFF + one VP8L chunk, as {@link #webpLossless} writes) in the
   * extended format with an embedded ICC profile: a VP8X chunk with the ICC flag and the canvas size, then
   * an ICCP chunk, then the VP8L chunk as it was.
   */
  static byte[] webpWithIccProfile(byte[] webp, int w, int h, byte[] profile) {
    int iccPadded = profile.length + (profile.length & 1);
    byte[] out = new byte[webp.length + 18 + 8 + iccPadded];
    System.arraycopy(webp, 0, out, 0, 12); // RIFF, size (fixed below), WEBP
    putIntLe(out, 4, out.length - 8);
    System.arraycopy(new byte[] {'V', 'P', '8', 'X', 10, 0, 0, 0, 0x20}, 0, out, 12, 9); // I(CC) flag
    putIntLe(out, 24, w - 1); // 24-bit canvas width - 1, then height - 1
    putIntLe(out, 27, h - 1);
    System.arraycopy(new byte[] {'I', 'C', 'C', 'P'}, 0, out, 30, 4);
    putIntLe(out, 34, profile.length);
    System.arraycopy(profile, 0, out, 38, profile.length);
    System.arraycopy(webp, 12, out, 38 + iccPadded, webp.length - 12);
    return out;
  }

  /**
   * The simple-format WebP {@code webp} (RIFF + one VP8L chunk of {@code w x h}, as {@link #webpLossless}
   * writes) as the one frame of an animation: a VP8X chunk with the animation flag and a canvas of
   * {@code canvasW x canvasH}, an ANIM chunk, then an ANMF chunk holding the VP8L chunk at ({@code left},
   * {@code top}), both even (the format stores half of each).
   */
  static byte[] webpAnimationFrame(byte[] webp, int w, int h, int canvasW, int canvasH, int left, int top) {
    int frame = webp.length - 12;
    byte[] out = new byte[12 + 18 + 14 + 8 + 16 + frame];
    System.arraycopy(webp, 0, out, 0, 12); // RIFF, size (fixed below), WEBP
    putIntLe(out, 4, out.length - 8);
    System.arraycopy(new byte[] {'V', 'P', '8', 'X', 10, 0, 0, 0, 0x02}, 0, out, 12, 9); // A(nimation) flag
    putIntLe(out, 24, canvasW - 1);
    putIntLe(out, 27, canvasH - 1);
    System.arraycopy(new byte[] {'A', 'N', 'I', 'M', 6, 0, 0, 0}, 0, out, 30, 8); // background 0, loop 0
    System.arraycopy(new byte[] {'A', 'N', 'M', 'F'}, 0, out, 44, 4);
    putIntLe(out, 48, 16 + frame);
    putIntLe(out, 52, left / 2); // 24 bits each: X / 2, Y / 2, width - 1, height - 1, duration; flags
    putIntLe(out, 55, top / 2);
    putIntLe(out, 58, w - 1);
    putIntLe(out, 61, h - 1);
    putIntLe(out, 64, 100);
    out[67] = 0;
    System.arraycopy(webp, 12, out, 68, frame);
    return out;
  }

  static void putIntLe(byte[] b, int at, int v) {
    b[at] = (byte) v;
    b[at + 1] = (byte) (v >>> 8);
    b[at + 2] = (byte) (v >>> 16);
    b[at + 3] = (byte) (v >>> 24);
  }

  /** Least-significant-bit-first bit packing, as VP8L reads. */
  private static final class BitWriter {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private int acc;
    private int n;

    void write(int value, int count) {
      for (int i = 0; i < count; i++) {
        acc |= ((value >>> i) & 1) << n;
        if (++n == 8) {
          out.write(acc);
          acc = 0;
          n = 0;
        }
      }
    }

    byte[] toByteArray() {
      if (n > 0) {
        out.write(acc);
        acc = 0;
        n = 0;
      }
      return out.toByteArray();
    }
  }
}
