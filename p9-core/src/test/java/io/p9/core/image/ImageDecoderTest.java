package io.p9.core.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.color.ICC_Profile;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.IntFunction;
import java.util.function.ToIntFunction;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.junit.jupiter.api.Test;

/**
 * {@link ImageDecoder} on files generated here (see {@link EncodedFixtures}). Lossless formats are checked
 * pixel for pixel, JPEG within a tolerance on flat regions aligned to its 16x16 blocks.
 */
class ImageDecoderTest {
  private static final int RED = 0xFF0000;
  private static final int GREEN = 0x00FF00;
  private static final int BLUE = 0x0000FF;
  private static final int YELLOW = 0xFFFF00;

  private final ImageDecoder decoder = new ImageDecoder(DecodeOptions.defaults());

  /** 64x32, quadrants (each 32x16) top-left red, top-right green, bottom-left blue, bottom-right yellow. */
  private static BufferedImage quadrants(int type) {
    BufferedImage img = new BufferedImage(64, 32, type);
    for (int y = 0; y < 32; y++) {
      for (int x = 0; x < 64; x++) {
        img.setRGB(x, y, x < 32 ? (y < 16 ? RED : BLUE) : (y < 16 ? GREEN : YELLOW));
      }
    }
    return img;
  }

  /** Random 8-bit RGB, for exact comparisons through lossless formats. */
  private static BufferedImage noise(int w, int h, long seed) {
    Random rnd = new Random(seed);
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        img.setRGB(x, y, rnd.nextInt(1 << 24));
      }
    }
    return img;
  }

  /** {@code src} drawn into a new image of the same size and {@code type} (palette types: the default one). */
  private static BufferedImage redrawn(BufferedImage src, int type) {
    BufferedImage img = new BufferedImage(src.getWidth(), src.getHeight(), type);
    img.getGraphics().drawImage(src, 0, 0, null);
    return img;
  }

  private static int rgbAt(PixelImage img, int x, int y) {
    return TestImages.at(img, x, y, 2) << 16 | TestImages.at(img, x, y, 1) << 8 | TestImages.at(img, x, y, 0);
  }

  private static void assertNear(PixelImage img, int x, int y, int rgb, int tolerance) {
    for (int c = 0; c < 3; c++) {
      int expected = (rgb >> (8 * c)) & 0xFF;
      assertThat(TestImages.at(img, x, y, c))
          .as("channel %s of (%d,%d), expected #%06x, was #%06x", "BGR".charAt(c), x, y, rgb,
              rgbAt(img, x, y))
          .isBetween(expected - tolerance, expected + tolerance);
    }
  }

  /** Checks the centre of each quadrant of a 2x2 block image. */
  private static void assertQuadrants(PixelImage img, int tl, int tr, int bl, int br, int tolerance) {
    int qw = img.width() / 2;
    int qh = img.height() / 2;
    assertNear(img, qw / 2, qh / 2, tl, tolerance);
    assertNear(img, qw + qw / 2, qh / 2, tr, tolerance);
    assertNear(img, qw / 2, qh + qh / 2, bl, tolerance);
    assertNear(img, qw + qw / 2, qh + qh / 2, br, tolerance);
  }

  private static void assertSamePixels(PixelImage decoded, BufferedImage expected) {
    assertThat(decoded.width()).isEqualTo(expected.getWidth());
    assertThat(decoded.height()).isEqualTo(expected.getHeight());
    assertThat(decoded.channels()).isEqualTo(3);
    for (int y = 0; y < expected.getHeight(); y++) {
      for (int x = 0; x < expected.getWidth(); x++) {
        assertThat(rgbAt(decoded, x, y)).as("pixel (%d,%d)", x, y)
            .isEqualTo(expected.getRGB(x, y) & 0xFFFFFF);
      }
    }
  }

  private DecodeFailure failureOf(byte[] bytes) {
    ImageDecodeException e = catchThrowableOfType(ImageDecodeException.class, () -> decoder.decode(bytes));
    assertThat(e).as("decode should fail").isNotNull();
    assertThat(e.getMessage()).isNotBlank();
    return e.reason();
  }

  // ---- JPEG ----

  /**
   * The JDK's JPEG reader (the fast path's, and the one inside TwelveMonkeys') keeps the quantization and
   * Huffman tables of the files it read before, for abbreviated streams. A JPEG without its own tables was
   * decoded, by a reused decoder, through the previous file's tables (found by fuzzing: pixels, or success
   * against CORRUPT, differed with the file decoded before). Now the outcome is a new decoder's: CORRUPT
   * without quantization tables, the reader's standard tables without Huffman ones.
   */
  @Test
  void jpegWithoutItsOwnTablesDecodesAsWithANewDecoderWhateverWasDecodedBefore() {
    byte[] jpeg = EncodedFixtures.jpeg(noise(16, 8, 41), 0.9f, false);
    byte[] progressive = EncodedFixtures.jpeg(noise(16, 8, 42), 0.9f, true);
    for (int marker : new int[] {0xDB, 0xC4}) {
      for (byte[] file : new byte[][] {jpeg, progressive}) {
        byte[] without = EncodedFixtures.jpegWithout(file, marker);
        String fresh = outcome(new ImageDecoder(), without);
        if (marker == 0xDB) {
          assertThat(fresh).startsWith("CORRUPT");
        }
        for (byte[] before : new byte[][] {jpeg, progressive}) {
          ImageDecoder reused = new ImageDecoder();
          assertThat(outcome(reused, before)).startsWith("OK");
          assertThat(outcome(reused, without)).as("marker %x dropped", marker).isEqualTo(fresh);
        }
      }
    }
  }

  /**
   * A progressive JPEG defines the Huffman tables of its later scans between the scans. Without one of those
   * (its first DHT after the first scan dropped), a reused decoder decoded the later scan through the table of
   * the same slot in the file it read before; the outcome must be a new decoder's.
   */
  @Test
  void progressiveJpegWithoutALaterScansTableDecodesAsWithANewDecoder() {
    byte[] progressive = EncodedFixtures.jpeg(noise(64, 64, 42), 0.9f, true);
    byte[] without = EncodedFixtures.jpegWithoutOneAfterFirstScan(progressive, 0xC4);
    assertThat(JpegTables.defined(progressive)).isTrue();
    assertThat(JpegTables.defined(without)).isFalse();
    String fresh = outcome(new ImageDecoder(), without);
    for (long seed = 43; seed < 47; seed++) {
      byte[] before = EncodedFixtures.jpeg(noise(64, 64, seed), 0.9f, seed % 2 == 0);
      ImageDecoder reused = new ImageDecoder();
      assertThat(outcome(reused, before)).startsWith("OK");
      assertThat(outcome(reused, without)).as("after the %s JPEG of seed %d", seed % 2 == 0 ? "progressive"
          : "baseline", seed).isEqualTo(fresh);
    }
  }

  /** "OK", the size and a hash of the pixels, or the failure's reason. */
  private static String outcome(ImageDecoder d, byte[] bytes) {
    try {
      PixelImage img = d.decode(bytes);
      return "OK " + img.width() + "x" + img.height() + " " + java.util.Arrays.hashCode(img.data());
    } catch (ImageDecodeException e) {
      return e.reason().toString();
    }
  }

  @Test
  void baselineJpegTakesTheFastPathAndMatchesTheReaderBytes() throws IOException, ImageDecodeException {
    byte[] jpeg = EncodedFixtures.jpeg(quadrants(BufferedImage.TYPE_INT_RGB), 0.95f, false);
    assertThat(ImageDecoder.sniff(jpeg)).isEqualTo(ImageFormat.JPEG);
    PixelImage img = decoder.decode(jpeg);
    assertThat(img.width()).isEqualTo(64);
    assertThat(img.height()).isEqualTo(32);
    assertThat(img.channels()).isEqualTo(3);
    assertQuadrants(img, RED, GREEN, BLUE, YELLOW, 12);
    BufferedImage ref = ImageIO.read(new ByteArrayInputStream(jpeg));
    assertThat(ref.getType()).isEqualTo(BufferedImage.TYPE_3BYTE_BGR);
    assertThat(img.data()).isEqualTo(((DataBufferByte) ref.getRaster().getDataBuffer()).getData());
  }

  @Test
  void progressiveJpeg() throws ImageDecodeException {
    byte[] jpeg = EncodedFixtures.jpeg(quadrants(BufferedImage.TYPE_INT_RGB), 0.95f, true);
    // SOF2 marks a progressive frame.
    assertThat(jpeg[EncodedFixtures.jpegSofOffset(jpeg) + 1] & 0xFF).isEqualTo(0xC2);
    PixelImage img = decoder.decode(jpeg);
    assertThat(img.width()).isEqualTo(64);
    assertQuadrants(img, RED, GREEN, BLUE, YELLOW, 12);
  }

  @Test
  void grayJpegIsExpandedToThreeEqualChannels() throws ImageDecodeException {
    BufferedImage gray = new BufferedImage(32, 16, BufferedImage.TYPE_BYTE_GRAY);
    WritableRaster r = gray.getRaster();
    for (int y = 0; y < 16; y++) {
      for (int x = 0; x < 32; x++) {
        r.setSample(x, y, 0, x < 16 ? 40 : 200);
      }
    }
    PixelImage img = decoder.decode(EncodedFixtures.jpeg(gray, 1f, false));
    assertNear(img, 8, 8, 0x282828, 3);
    assertNear(img, 24, 8, 0xC8C8C8, 3);
  }

  /**
   * Four 16x16 blocks of CMYK ink (c, m, y, k in 0..255): none, cyan, black, magenta+yellow. Adobe stores
   * CMYK inverted (255 = no ink), which is what the reader expects after an APP14 marker with transform 0.
   */
  private static final int[][] INKS = {{0, 0, 0, 0}, {255, 0, 0, 0}, {0, 0, 0, 255}, {0, 255, 255, 0}};

  private static void assertInkColours(PixelImage img) {
    assertThat(img.width()).isEqualTo(64);
    assertThat(img.height()).isEqualTo(16);
    // No ink: paper white (the reader's CMYK profile maps it close to white).
    for (int c = 0; c < 3; c++) {
      assertThat(TestImages.at(img, 8, 8, c)).as("no ink, channel %d", c).isGreaterThan(220);
    }
    // Cyan: little red, much green and blue.
    assertThat(TestImages.at(img, 24, 8, 2)).as("cyan: red").isLessThan(100);
    assertThat(TestImages.at(img, 24, 8, 0)).as("cyan: blue").isGreaterThan(150);
    assertThat(TestImages.at(img, 24, 8, 1)).as("cyan: green").isGreaterThan(100);
    // Black ink: dark.
    for (int c = 0; c < 3; c++) {
      assertThat(TestImages.at(img, 40, 8, c)).as("black, channel %d", c).isLessThan(80);
    }
    // Magenta + yellow: red.
    assertThat(TestImages.at(img, 56, 8, 2)).as("red: red").isGreaterThan(180);
    assertThat(TestImages.at(img, 56, 8, 1)).as("red: green").isLessThan(100);
    assertThat(TestImages.at(img, 56, 8, 0)).as("red: blue").isLessThan(100);
  }

  @Test
  void cmykJpegIsConvertedToRgb() throws ImageDecodeException {
    assertInkColours(decoder.decode(cmykInkJpeg()));
  }

  /** A CMYK JPEG (Adobe marker, transform 0: stored inverted) of the four {@link #INKS} side by side. */
  private static byte[] cmykInkJpeg() {
    WritableRaster r = Raster.createInterleavedRaster(DataBuffer.TYPE_BYTE, 64, 16, 4, null);
    for (int y = 0; y < 16; y++) {
      for (int x = 0; x < 64; x++) {
        int[] ink = INKS[x / 16];
        r.setPixel(x, y, new int[] {255 - ink[0], 255 - ink[1], 255 - ink[2], 255 - ink[3]});
      }
    }
    return EncodedFixtures.withAdobeMarker(EncodedFixtures.jpegOfRaster(r), 0);
  }

  @Test
  void ycckJpegIsConvertedToRgb() throws ImageDecodeException {
    // YCCK stores (1 - C, 1 - M, 1 - Y) in the inverted convention as "RGB" turned into YCbCr, and K
    // inverted as is; the decoder undoes the YCbCr step and gets Adobe's inverted CMYK back.
    WritableRaster r = Raster.createInterleavedRaster(DataBuffer.TYPE_BYTE, 64, 16, 4, null);
    for (int y = 0; y < 16; y++) {
      for (int x = 0; x < 64; x++) {
        int[] ink = INKS[x / 16];
        double rr = ink[0];
        double gg = ink[1];
        double bb = ink[2];
        double luma = 0.299 * rr + 0.587 * gg + 0.114 * bb;
        double cb = 128 - 0.168736 * rr - 0.331264 * gg + 0.5 * bb;
        double cr = 128 + 0.5 * rr - 0.418688 * gg - 0.081312 * bb;
        r.setPixel(x, y, new int[] {clamp(luma), clamp(cb), clamp(cr), 255 - ink[3]});
      }
    }
    byte[] jpeg = EncodedFixtures.withAdobeMarker(EncodedFixtures.jpegOfRaster(r), 2);
    assertInkColours(decoder.decode(jpeg));
  }

  private static int clamp(double v) {
    return (int) Math.max(0, Math.min(255, Math.round(v)));
  }

  @Test
  void exifOrientationRotatesJpeg() throws ImageDecodeException {
    byte[] jpeg = EncodedFixtures.jpeg(quadrants(BufferedImage.TYPE_INT_RGB), 0.95f, false);
    // 6: turn 90 degrees clockwise; the stored 64x32 is shown 32 wide and 64 high.
    PixelImage six = decoder.decode(EncodedFixtures.withJpegExifOrientation(jpeg, 6));
    assertThat(six.width()).isEqualTo(32);
    assertThat(six.height()).isEqualTo(64);
    assertQuadrants(six, BLUE, RED, YELLOW, GREEN, 12);
    PixelImage eight = decoder.decode(EncodedFixtures.withJpegExifOrientation(jpeg, 8));
    assertThat(eight.width()).isEqualTo(32);
    assertThat(eight.height()).isEqualTo(64);
    assertQuadrants(eight, GREEN, YELLOW, RED, BLUE, 12);
    PixelImage three = decoder.decode(EncodedFixtures.withJpegExifOrientation(jpeg, 3));
    assertThat(three.width()).isEqualTo(64);
    assertThat(three.height()).isEqualTo(32);
    assertQuadrants(three, YELLOW, BLUE, GREEN, RED, 12);
    PixelImage one = decoder.decode(EncodedFixtures.withJpegExifOrientation(jpeg, 1));
    assertQuadrants(one, RED, GREEN, BLUE, YELLOW, 12);
    PixelImage ignored = new ImageDecoder(DecodeOptions.defaults().withExifOrientation(false))
        .decode(EncodedFixtures.withJpegExifOrientation(jpeg, 6));
    assertThat(ignored.width()).isEqualTo(64);
    assertQuadrants(ignored, RED, GREEN, BLUE, YELLOW, 12);
  }

  /** 64x64, red and green ramps over constant blue: any tone curve or gamut mapping moves most pixels. */
  private static BufferedImage ramps() {
    BufferedImage img = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 64; y++) {
      for (int x = 0; x < 64; x++) {
        img.setRGB(x, y, (x * 4) << 16 | (y * 4) << 8 | 128);
      }
    }
    return img;
  }

  /**
   * An embedded ICC profile does not change the samples: without the fix the readers converted a
   * linear-RGB-tagged file to sRGB (up to 73 levels off) and took a slow path in Java.
   */
  /**
   * TwelveMonkeys' JPEG reader sizes an embedded ICC profile by the size in its header before reading it. A
   * 1491-byte JPEG (found by fuzzing) whose profile announced 2 GB threw OutOfMemoryError out of decode().
   * A profile announcing more bytes than the file has is dropped, even from a CMYK JPEG (which keeps a real
   * one for its conversion): the file decodes as without it.
   */
  @Test
  void jpegIccProfileLargerThanTheFileIsDropped() throws ImageDecodeException {
    byte[] cmyk = cmykInkJpeg();
    byte[] profile = ICC_Profile.getInstance(ColorSpace.CS_sRGB).getData().clone();
    profile[0] = 0x7F; // profile size 0x7FFFFFFF
    profile[1] = (byte) 0xFF;
    profile[2] = (byte) 0xFF;
    profile[3] = (byte) 0xFF;
    byte[] rgb = EncodedFixtures.jpeg(ramps(), 0.95f, false);
    for (byte[] jpeg : new byte[][] {cmyk, rgb}) {
      byte[] tagged = EncodedFixtures.insert(jpeg, 2, EncodedFixtures.iccSegments(profile, 2));
      assertThat(decoder.decode(tagged).data()).isEqualTo(decoder.decode(jpeg).data());
    }
  }

  @Test
  void jpegIccProfileIsIgnoredAndTheSamplesAreUsedAsStored() throws ImageDecodeException {
    byte[] plain = EncodedFixtures.jpeg(ramps(), 0.95f, false);
    byte[] expected = decoder.decode(plain).data().clone();
    for (int cs : new int[] {ColorSpace.CS_LINEAR_RGB, ColorSpace.CS_sRGB}) {
      byte[] profile = ICC_Profile.getInstance(cs).getData();
      for (int chunks : new int[] {1, 2}) {
        byte[] tagged = EncodedFixtures.insert(plain, EncodedFixtures.jpegAfterApp0(plain),
            EncodedFixtures.iccSegments(profile, chunks));
        assertThat(decoder.decode(tagged).data()).as("colour space %d in %d chunk(s)", cs, chunks)
            .isEqualTo(expected);
      }
    }
  }

  @Test
  void grayJpegIccProfileIsIgnored() throws ImageDecodeException {
    BufferedImage gray = new BufferedImage(32, 16, BufferedImage.TYPE_BYTE_GRAY);
    WritableRaster r = gray.getRaster();
    for (int y = 0; y < 16; y++) {
      for (int x = 0; x < 32; x++) {
        r.setSample(x, y, 0, x * 8);
      }
    }
    byte[] plain = EncodedFixtures.jpeg(gray, 1f, false);
    byte[] tagged = EncodedFixtures.insert(plain, EncodedFixtures.jpegAfterApp0(plain),
        EncodedFixtures.iccSegments(ICC_Profile.getInstance(ColorSpace.CS_GRAY).getData(), 1));
    assertThat(decoder.decode(tagged).data()).isEqualTo(decoder.decode(plain).data());
  }

  @Test
  void exifOrientationIsAppliedWhetherTheIccProfileComesBeforeOrAfterIt() throws ImageDecodeException {
    byte[] exif = EncodedFixtures.withJpegExifOrientation(
        EncodedFixtures.jpeg(quadrants(BufferedImage.TYPE_INT_RGB), 0.95f, false), 6);
    PixelImage expected = decoder.decode(exif);
    assertThat(expected.width()).isEqualTo(32);
    byte[] icc = EncodedFixtures.iccSegments(ICC_Profile.getInstance(ColorSpace.CS_LINEAR_RGB).getData(), 1);
    int afterApp1 = 4 + (((exif[4] & 0xFF) << 8) | (exif[5] & 0xFF));
    for (byte[] tagged : new byte[][] {EncodedFixtures.insert(exif, 2, icc),
        EncodedFixtures.insert(exif, afterApp1, icc)}) {
      PixelImage img = decoder.decode(tagged);
      assertThat(img.width()).isEqualTo(32);
      assertThat(img.height()).isEqualTo(64);
      assertQuadrants(img, BLUE, RED, YELLOW, GREEN, 12);
      assertThat(img.data()).isEqualTo(expected.data());
    }
  }

  /** A cut inside the profile: the segment chain cannot be followed, and the readers decide as before. */
  @Test
  void jpegCutInsideItsIccProfileIsTruncated() {
    byte[] plain = EncodedFixtures.jpeg(ramps(), 0.95f, false);
    int at = EncodedFixtures.jpegAfterApp0(plain);
    byte[] icc = EncodedFixtures.iccSegments(ICC_Profile.getInstance(ColorSpace.CS_sRGB).getData(), 1);
    byte[] cut = java.util.Arrays.copyOf(EncodedFixtures.insert(plain, at, icc), at + icc.length / 2);
    ImageDecodeException e = catchThrowableOfType(ImageDecodeException.class, () -> decoder.decode(cut));
    assertThat(e).isNotNull();
    assertThat(e.reason()).as(e.getMessage()).isEqualTo(DecodeFailure.TRUNCATED);
    assertThat(e.getMessage()).contains("(" + cut.length + " bytes)");
  }

  @Test
  void exifOrientationsOneToEightOnPngMoveEveryPixelWhereTheSpecSays() throws ImageDecodeException {
    BufferedImage src = noise(5, 3, 77);
    byte[] png = EncodedFixtures.encode(src, "png");
    for (int o = 1; o <= 8; o++) {
      PixelImage img = decoder.decode(EncodedFixtures.withPngExifOrientation(png, o));
      boolean swap = o >= 5;
      int dw = swap ? 3 : 5;
      int dh = swap ? 5 : 3;
      assertThat(img.width()).as("orientation %d width", o).isEqualTo(dw);
      assertThat(img.height()).as("orientation %d height", o).isEqualTo(dh);
      // EXIF 2.3, tag 0x0112: the side of the displayed image that stored row 0 and stored column 0 lie on.
      String row0 = new String[] {"top", "top", "bottom", "bottom", "left", "right", "right", "left"}[o - 1];
      String col0 = new String[] {"left", "right", "right", "left", "top", "top", "bottom", "bottom"}[o - 1];
      for (int sy = 0; sy < 3; sy++) {
        for (int sx = 0; sx < 5; sx++) {
          int dx = -1;
          int dy = -1;
          switch (row0) {
            case "top" -> dy = sy;
            case "bottom" -> dy = dh - 1 - sy;
            case "left" -> dx = sy;
            default -> dx = dw - 1 - sy;
          }
          switch (col0) {
            case "left" -> dx = sx;
            case "right" -> dx = dw - 1 - sx;
            case "top" -> dy = sx;
            default -> dy = dh - 1 - sx;
          }
          assertThat(rgbAt(img, dx, dy))
              .as("orientation %d, stored (%d,%d) shown at (%d,%d)", o, sx, sy, dx, dy)
              .isEqualTo(src.getRGB(sx, sy) & 0xFFFFFF);
        }
      }
    }
  }

  /**
   * The orientation of a PNG comes from its eXIf chunk alone. The metadata parser used to read every chunk
   * of a PNG that has one, inflating compressed text (zTXt) in full: a 260 KB file with 8x4 pixels made it
   * allocate gigabytes (a decompression bomb past maxPixels and maxBytes, an OutOfMemoryError at -Xmx128m).
   */
  @Test
  void pngExifOrientationDoesNotInflateTheOtherChunks() throws Exception {
    java.io.ByteArrayOutputStream ztxt = new java.io.ByteArrayOutputStream();
    ztxt.writeBytes("Comment\0\0".getBytes(StandardCharsets.ISO_8859_1)); // keyword, NUL, method 0
    try (java.util.zip.DeflaterOutputStream z = new java.util.zip.DeflaterOutputStream(ztxt,
        new java.util.zip.Deflater(9))) {
      byte[] zeros = new byte[1 << 20];
      for (int i = 0; i < 256; i++) {
        z.write(zeros);
      }
    }
    byte[] png = EncodedFixtures.withPngExifOrientation(EncodedFixtures.encode(noise(8, 4, 5), "png"), 6);
    byte[] bomb = EncodedFixtures.insert(png, 33, EncodedFixtures.pngChunk("zTXt", ztxt.toByteArray()));
    assertThat(bomb.length).isLessThan(300_000);

    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    long id = Thread.currentThread().getId();
    decoder.decode(png); // warm up: classes loaded, readers created
    long before = threads.getThreadAllocatedBytes(id);
    PixelImage img = decoder.decode(bomb);
    long allocated = threads.getThreadAllocatedBytes(id) - before;
    assertThat(img.width()).as("orientation 6 applied").isEqualTo(4);
    assertThat(img.height()).isEqualTo(8);
    assertThat(allocated).as("bytes allocated decoding an 8x4 PNG with 256 MiB of compressed text")
        .isLessThan(16L << 20);
  }

  // ---- PNG ----

  @Test
  void pngRgbIsExact() throws ImageDecodeException {
    BufferedImage src = noise(37, 23, 1);
    byte[] png = EncodedFixtures.encode(src, "png");
    assertThat(ImageDecoder.sniff(png)).isEqualTo(ImageFormat.PNG);
    assertSamePixels(decoder.decode(png), src);
  }

  @Test
  void pngGray8KeepsTheStoredValuesInAllThreeChannels() throws ImageDecodeException {
    BufferedImage gray = new BufferedImage(16, 16, BufferedImage.TYPE_BYTE_GRAY);
    for (int i = 0; i < 256; i++) {
      gray.getRaster().setSample(i % 16, i / 16, 0, i);
    }
    PixelImage img = decoder.decode(EncodedFixtures.encode(gray, "png"));
    for (int i = 0; i < 256; i++) {
      for (int c = 0; c < 3; c++) {
        // No gamma conversion: Java's CS_GRAY is linear, but files store display values (PIL, OpenCV agree).
        assertThat(TestImages.at(img, i % 16, i / 16, c)).as("gray %d channel %d", i, c).isEqualTo(i);
      }
    }
  }

  @Test
  void pngGray16IsReducedTo8Bits() throws ImageDecodeException {
    BufferedImage gray = new BufferedImage(16, 8, BufferedImage.TYPE_USHORT_GRAY);
    Random rnd = new Random(16);
    int[] values = new int[128];
    for (int i = 0; i < 128; i++) {
      values[i] = i == 0 ? 0 : i == 1 ? 65535 : rnd.nextInt(65536);
      gray.getRaster().setSample(i % 16, i / 16, 0, values[i]);
    }
    PixelImage img = decoder.decode(EncodedFixtures.encode(gray, "png"));
    for (int i = 0; i < 128; i++) {
      int expected = (int) Math.round(values[i] * 255.0 / 65535.0);
      for (int c = 0; c < 3; c++) {
        assertThat(TestImages.at(img, i % 16, i / 16, c)).as("16-bit %d", values[i]).isEqualTo(expected);
      }
    }
  }

  @Test
  void pngRgba16WithTransparencyIsReducedAndComposited() throws ImageDecodeException {
    ComponentColorModel cm = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_sRGB), true, false,
        Transparency.TRANSLUCENT, DataBuffer.TYPE_USHORT);
    WritableRaster r = cm.createCompatibleWritableRaster(2, 1);
    r.setPixel(0, 0, new int[] {65535, 0, 32768, 65535}); // opaque
    r.setPixel(1, 0, new int[] {0, 0, 0, 0}); // transparent
    PixelImage img = decoder.decode(EncodedFixtures.encode(new BufferedImage(cm, r, false, null), "png"));
    assertThat(rgbAt(img, 0, 0)).isEqualTo(0xFF0080);
    assertThat(rgbAt(img, 1, 0)).isEqualTo(0xFFFFFF);
  }

  @Test
  void pngGrayWithAlphaIsComposited() throws ImageDecodeException {
    ComponentColorModel cm = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_GRAY), true, false,
        Transparency.TRANSLUCENT, DataBuffer.TYPE_BYTE);
    WritableRaster r = cm.createCompatibleWritableRaster(3, 1);
    r.setPixel(0, 0, new int[] {100, 255});
    r.setPixel(1, 0, new int[] {100, 0});
    r.setPixel(2, 0, new int[] {0, 128});
    PixelImage img = new ImageDecoder(DecodeOptions.defaults().withBackground(0x000000))
        .decode(EncodedFixtures.encode(new BufferedImage(cm, r, false, null), "png"));
    assertThat(rgbAt(img, 0, 0)).isEqualTo(0x646464);
    assertThat(rgbAt(img, 1, 0)).isEqualTo(0x000000);
    assertThat(rgbAt(img, 2, 0)).isEqualTo(0x000000);
    PixelImage onWhite = decoder.decode(EncodedFixtures.encode(new BufferedImage(cm, r, false, null), "png"));
    assertThat(rgbAt(onWhite, 1, 0)).isEqualTo(0xFFFFFF);
    assertThat(TestImages.at(onWhite, 2, 0, 0)).isEqualTo((255 * 127 + 127) / 255);
  }

  @Test
  void pngRgbaIsCompositedOnWhiteOrOnTheConfiguredBackground() throws ImageDecodeException {
    BufferedImage argb = new BufferedImage(4, 1, BufferedImage.TYPE_INT_ARGB);
    argb.setRGB(0, 0, 0xFF102030); // opaque
    argb.setRGB(1, 0, 0x00102030); // fully transparent
    argb.setRGB(2, 0, 0x80FF0000); // half-transparent red
    argb.setRGB(3, 0, 0x00000000);
    byte[] png = EncodedFixtures.encode(argb, "png");
    PixelImage white = decoder.decode(png);
    assertThat(rgbAt(white, 0, 0)).isEqualTo(0x102030);
    assertThat(rgbAt(white, 1, 0)).isEqualTo(0xFFFFFF);
    int half = (255 * 128 + 255 * 127 + 127) / 255;
    int other = (255 * 127 + 127) / 255;
    assertThat(rgbAt(white, 2, 0)).isEqualTo(half << 16 | other << 8 | other);
    assertThat(rgbAt(white, 3, 0)).isEqualTo(0xFFFFFF);
    PixelImage custom = new ImageDecoder(DecodeOptions.defaults().withBackground(0x336699)).decode(png);
    assertThat(rgbAt(custom, 0, 0)).isEqualTo(0x102030);
    assertThat(rgbAt(custom, 1, 0)).isEqualTo(0x336699);
    assertThat(rgbAt(custom, 3, 0)).isEqualTo(0x336699);
    int r = (255 * 128 + 0x33 * 127 + 127) / 255;
    int g = (0x66 * 127 + 127) / 255;
    int b = (0x99 * 127 + 127) / 255;
    assertThat(rgbAt(custom, 2, 0)).isEqualTo(r << 16 | g << 8 | b);
  }

  @Test
  void palettePngWithTransparencyIsComposited() throws ImageDecodeException {
    byte[] reds = {(byte) 255, 0, 0, 10};
    byte[] greens = {0, (byte) 255, 0, 20};
    byte[] blues = {0, 0, (byte) 255, 30};
    byte[] alphas = {(byte) 255, (byte) 255, 0, (byte) 255};
    IndexColorModel icm = new IndexColorModel(8, 4, reds, greens, blues, alphas);
    BufferedImage pal = new BufferedImage(4, 1, BufferedImage.TYPE_BYTE_INDEXED, icm);
    for (int i = 0; i < 4; i++) {
      pal.getRaster().setSample(i, 0, 0, i);
    }
    byte[] png = EncodedFixtures.encode(pal, "png");
    PixelImage img = decoder.decode(png);
    assertThat(new int[] {rgbAt(img, 0, 0), rgbAt(img, 1, 0), rgbAt(img, 2, 0), rgbAt(img, 3, 0)})
        .containsExactly(0xFF0000, 0x00FF00, 0xFFFFFF, 0x0A141E);
    PixelImage dark = new ImageDecoder(DecodeOptions.defaults().withBackground(0x010203)).decode(png);
    assertThat(rgbAt(dark, 2, 0)).isEqualTo(0x010203);
  }

  // ---- BMP, GIF, TIFF, WebP ----

  /**
   * A gray PNG's tRNS chunk names one gray level as transparent, whatever its bit depth. The JDK's reader
   * honours it at 1, 8 and 16 bits but at 2 and 4 only for level 0, so the other levels kept their gray
   * instead of taking the background.
   */
  @Test
  void grayPngWithTransparentLevelIsCompositedAtEveryBitDepth() throws ImageDecodeException {
    for (int bits : new int[] {1, 2, 4, 8}) {
      int levels = 1 << bits;
      byte[] ramp = new byte[levels];
      for (int i = 0; i < levels; i++) {
        ramp[i] = (byte) (i * 255 / (levels - 1));
      }
      BufferedImage img = bits == 8 ? new BufferedImage(16, 2, BufferedImage.TYPE_BYTE_GRAY)
          : new BufferedImage(16, 2, BufferedImage.TYPE_BYTE_BINARY,
              new IndexColorModel(bits, levels, ramp, ramp, ramp));
      for (int x = 0; x < 16; x++) {
        img.getRaster().setSample(x, 0, 0, x % levels);
        img.getRaster().setSample(x, 1, 0, (x + 1) % levels);
      }
      for (int transparent : new int[] {0, levels / 2, levels - 1}) {
        byte[] png = EncodedFixtures.insert(EncodedFixtures.encode(img, "png"), 33,
            EncodedFixtures.pngChunk("tRNS", new byte[] {0, (byte) transparent}));
        PixelImage decoded = decoder.decode(png);
        for (int y = 0; y < 2; y++) {
          for (int x = 0; x < 16; x++) {
            int level = img.getRaster().getSample(x, y, 0);
            int gray = bits == 8 ? level : ramp[level] & 0xFF;
            int expected = level == transparent ? 0xFFFFFF : gray * 0x010101;
            assertThat(rgbAt(decoded, x, y)).as("%d-bit, level %d transparent: level %d at (%d,%d)", bits,
                transparent, level, x, y).isEqualTo(expected);
          }
        }
      }
    }
  }

  @Test
  void bmpIsExact() throws ImageDecodeException {
    BufferedImage src = noise(13, 7, 2);
    byte[] bmp = EncodedFixtures.encode(redrawn(src, BufferedImage.TYPE_3BYTE_BGR), "bmp");
    assertThat(ImageDecoder.sniff(bmp)).isEqualTo(ImageFormat.BMP);
    assertSamePixels(decoder.decode(bmp), src);
  }

  /**
   * TwelveMonkeys' BMP reader allocates the colour table that the header's biClrUsed announces before reading
   * it: a 74-byte file (found by fuzzing) asking for 586 million entries threw OutOfMemoryError, which the
   * decoder passes on. A colour table that cannot fit in the file is refused from the header: CORRUPT (or
   * TRUNCATED if the header's file size is larger than the file).
   */
  @Test
  void bmpColourTableLargerThanTheFileIsRefusedBeforeTheReaderAllocatesIt() throws ImageDecodeException {
    BufferedImage binary = new BufferedImage(9, 3, BufferedImage.TYPE_BYTE_BINARY);
    binary.setRGB(4, 1, 0xFFFFFF);
    byte[] bmp = EncodedFixtures.encode(binary, "bmp");
    assertThat(rgbAt(decoder.decode(bmp), 4, 1)).isEqualTo(0xFFFFFF);
    byte[] huge = bmp.clone();
    huge[46] = (byte) 0xF0; // biClrUsed = 0x7FFFFFF0
    huge[47] = (byte) 0xFF;
    huge[48] = (byte) 0xFF;
    huge[49] = 0x7F;
    assertThat(failureOf(huge)).isEqualTo(DecodeFailure.CORRUPT);
    byte[] cut = java.util.Arrays.copyOf(huge, 60);
    assertThat(failureOf(cut)).isEqualTo(DecodeFailure.TRUNCATED);
  }

  /**
   * 32-bit BMPs with a V3 (56), V4 (108) or V5 (124) header and BI_RGB compression, whose colour masks are
   * zero (the spec says they are used only with BI_BITFIELDS): TwelveMonkeys' reader refuses them ("No
   * mask has at least 1 bit set"), which made valid files CORRUPT; the JDK's reader decodes them.
   */
  @Test
  void bmp32WithAV4OrV5HeaderAndNoMasksDecodes() throws ImageDecodeException {
    for (int header : new int[] {56, 108, 124}) {
      byte[] bmp = EncodedFixtures.bmp32BiRgb(header, new int[] {0x102030, 0x405060, 0x708090});
      PixelImage img = decoder.decode(bmp);
      assertThat(img.width()).as("header %d", header).isEqualTo(3);
      assertThat(img.height()).isEqualTo(1);
      assertThat(new int[] {rgbAt(img, 0, 0), rgbAt(img, 1, 0), rgbAt(img, 2, 0)}).as("header %d", header)
          .containsExactly(0x102030, 0x405060, 0x708090);
      byte[] cut = java.util.Arrays.copyOf(bmp, bmp.length - 5);
      assertThat(failureOf(cut)).as("header %d, cut", header).isEqualTo(DecodeFailure.TRUNCATED);
    }
  }

  @Test
  void gifFirstFrameIsExactAndItsTransparentIndexComposited() throws ImageDecodeException {
    byte[] r = {(byte) 200, 0, 5};
    byte[] g = {0, 100, 5};
    byte[] b = {50, (byte) 250, 5};
    IndexColorModel icm = new IndexColorModel(8, 3, r, g, b, 2);
    // At least 8 rows: the JDK's GIF writer/reader pair scrambles interlaced images under 5 rows high.
    BufferedImage pal = new BufferedImage(6, 16, BufferedImage.TYPE_BYTE_INDEXED, icm);
    for (int y = 0; y < 16; y++) {
      for (int x = 0; x < 6; x++) {
        pal.getRaster().setSample(x, y, 0, (x + 2 * y) % 3);
      }
    }
    byte[] gif = EncodedFixtures.encode(pal, "gif");
    assertThat(ImageDecoder.sniff(gif)).isEqualTo(ImageFormat.GIF);
    PixelImage img = decoder.decode(gif);
    int[] expected = {0xC80032, 0x0064FA, 0xFFFFFF};
    for (int y = 0; y < 16; y++) {
      for (int x = 0; x < 6; x++) {
        assertThat(rgbAt(img, x, y)).as("(%d,%d)", x, y).isEqualTo(expected[(x + 2 * y) % 3]);
      }
    }
  }

  /**
   * A GIF's first frame lies at its own position on the logical screen, and a viewer (and PIL) shows the
   * whole screen, grown to hold the frame if it sticks out; pixels the frame does not cover are transparent,
   * so they take the background. The decoder used to return the frame alone, at its own size.
   */
  @Test
  void gifFirstFrameIsPlacedOnItsLogicalScreen() throws ImageDecodeException {
    BufferedImage pal = redrawn(noise(6, 8, 21), BufferedImage.TYPE_BYTE_INDEXED);
    byte[] gif = EncodedFixtures.encode(pal, "gif");
    int[][] cases = { // screen w, h, frame left, top, then the canvas expected
        {12, 14, 3, 2, 12, 14}, {4, 4, 1, 3, 7, 11}, {6, 8, 0, 0, 6, 8}};
    for (int[] c : cases) {
      byte[] placed = EncodedFixtures.gifWithFrameAt(gif, c[0], c[1], c[2], c[3]);
      for (int background : new int[] {0xFFFFFF, 0x102030}) {
        PixelImage img = new ImageDecoder(DecodeOptions.defaults().withBackground(background)).decode(placed);
        String label = String.format("screen %dx%d, frame at (%d,%d), background #%06x", c[0], c[1], c[2], c[3],
            background);
        assertThat(img.width()).as(label).isEqualTo(c[4]);
        assertThat(img.height()).as(label).isEqualTo(c[5]);
        for (int y = 0; y < c[5]; y++) {
          for (int x = 0; x < c[4]; x++) {
            boolean inFrame = x >= c[2] && x < c[2] + 6 && y >= c[3] && y < c[3] + 8;
            int expected = inFrame ? pal.getRGB(x - c[2], y - c[3]) & 0xFFFFFF : background;
            assertThat(rgbAt(img, x, y)).as("%s: (%d,%d)", label, x, y).isEqualTo(expected);
          }
        }
      }
    }
  }

  /**
   * The JDK's GIF reader starts the LZW data by taking 4 bytes from its sub-block buffer, however short the
   * first sub-block is: with one of 1 to 3 bytes (legal) it decoded the previous file's leftover bytes (or a
   * new reader's zeros) into the image, so a valid GIF came out wrong, and one without data differently
   * depending on the file decoded before it. Found by fuzzing.
   */
  @Test
  void gifWithShortFirstDataSubBlockDecodesItsOwnBytesOnly() throws ImageDecodeException {
    BufferedImage pal = redrawn(noise(6, 8, 22), BufferedImage.TYPE_BYTE_INDEXED);
    byte[] gif = EncodedFixtures.encode(pal, "gif");
    byte[][] before = {EncodedFixtures.encode(redrawn(noise(9, 9, 23), BufferedImage.TYPE_BYTE_INDEXED), "gif"),
        EncodedFixtures.encode(redrawn(noise(7, 5, 24), BufferedImage.TYPE_BYTE_INDEXED), "gif")};
    for (int size = 1; size <= 4; size++) {
      byte[] split = EncodedFixtures.gifWithDataInSubBlocksOf(gif, size);
      assertSamePixels(new ImageDecoder().decode(split), pal);
      for (byte[] other : before) {
        ImageDecoder reused = new ImageDecoder();
        reused.decode(other);
        assertSamePixels(reused.decode(split), pal);
      }
    }
    byte[] noData = EncodedFixtures.gifWithDataInSubBlocksOf(gif, 0);
    PixelImage fresh = new ImageDecoder().decode(noData);
    for (byte[] other : before) {
      ImageDecoder reused = new ImageDecoder();
      reused.decode(other);
      assertThat(reused.decode(noData).data()).as("a GIF without data, after another file")
          .isEqualTo(fresh.data());
    }
  }

  /** The logical screen counts for maxPixels: a tiny frame on a 65535 x 65535 screen is a bomb too. */
  @Test
  void gifLogicalScreenOverMaxPixelsIsTooLarge() {
    BufferedImage pal = new BufferedImage(6, 8, BufferedImage.TYPE_BYTE_INDEXED);
    byte[] gif = EncodedFixtures.gifWithFrameAt(EncodedFixtures.encode(pal, "gif"), 65535, 65535, 0, 0);
    ImageDecodeException e = catchThrowableOfType(ImageDecodeException.class, () -> decoder.decode(gif));
    assertThat(e).isNotNull();
    assertThat(e.reason()).as(e.getMessage()).isEqualTo(DecodeFailure.TOO_LARGE);
    assertThat(e.getMessage()).contains("65535x65535");
  }

  @Test
  void tiffIsExact() throws ImageDecodeException {
    BufferedImage src = noise(19, 11, 3);
    byte[] tiff = EncodedFixtures.encode(src, "tiff");
    assertThat(ImageDecoder.sniff(tiff)).isEqualTo(ImageFormat.TIFF);
    assertSamePixels(decoder.decode(tiff), src);
  }

  /**
   * A reader warning that a file is damaged aborts the read, and TwelveMonkeys' readers never clear an abort
   * request: a reused decoder's TIFF reader stopped every later TIFF after its first strip or tile, and valid
   * files decoded without error, most of their pixels missing (found by fuzzing: ~20 mutated TIFFs decoded
   * differently by a reused and a new decoder).
   */
  @Test
  void tiffAfterATiffThatAReaderWarningAbortedDecodesInFull() throws ImageDecodeException {
    byte[] damaged = EncodedFixtures.withBadHuffmanCodes(EncodedFixtures.jdkTiff(noise(32, 32, 1), "JPEG", 0));
    BufferedImage src = noise(64, 48, 2);
    for (int tile : new int[] {0, 16}) {
      ImageDecoder reused = new ImageDecoder();
      assertThat(outcome(reused, damaged)).isEqualTo("CORRUPT");
      assertSamePixels(reused.decode(EncodedFixtures.jdkTiff(src, null, tile)), src);
    }
  }

  /**
   * Unsigned 32-bit integer TIFF samples (SampleFormat 1) are scaled from 0..2^32-1, so 0x80000000 is mid-gray.
   * They used to be reduced with a maximum of -1: everything but 0 and 0xFFFFFFFF came out black or as noise.
   */
  @Test
  void tiff32BitIntegerSamplesAreReducedTo8Bits() throws ImageDecodeException {
    Random rnd = new Random(32);
    long[] fixed = {0, 0xFFFFFFFFL, 0x80000000L};
    assertTiffSamples(DataBuffer.TYPE_INT, 1, i -> i < fixed.length ? fixed[i] : rnd.nextLong() >>> 32,
        v -> (int) Math.round(v.longValue() * 255.0 / 0xFFFFFFFFL));
  }

  /**
   * Signed 32-bit TIFF samples (SampleFormat 2, which is what the JDK's writer writes for TYPE_INT) are scaled
   * from their full range, as signed 16-bit ones are: -2^31 to black, 2^31-1 to white. The reader returns them
   * as TYPE_INT, as it does unsigned ones, and they were read as unsigned: -1 came out white, 0 black.
   */
  @Test
  void tiffSigned32BitSamplesAreScaledFromTheirFullRange() throws ImageDecodeException {
    Random rnd = new Random(31);
    int[] fixed = {Integer.MIN_VALUE, -1, 0, Integer.MAX_VALUE, -1_000_000};
    assertTiffSamples(DataBuffer.TYPE_INT, 2, i -> i < fixed.length ? fixed[i] : rnd.nextInt(),
        v -> (int) Math.round((v.longValue() + 0x80000000L) * 255.0 / 0xFFFFFFFFL));
  }

  /**
   * Signed 8-bit TIFF samples (SampleFormat 2) are scaled from -128..127 too: the reader returns them as the
   * unsigned bytes of TYPE_BYTE, and -1 came out white, -128 mid-gray.
   */
  @Test
  void tiffSigned8BitSamplesAreScaledFromTheirFullRange() throws ImageDecodeException {
    byte[] samples = {-128, -1, 0, 127, 1, -2};
    assertThat(rgbAt(decoder.decode(EncodedFixtures.tiffWithIfdLast(2, 1, samples, 3, -1, 1)), 0, 0))
        .isEqualTo(0x80FF00);
    PixelImage signed = decoder.decode(EncodedFixtures.tiffWithIfdLast(2, 1, samples, 3, -1, 2));
    assertThat(new int[] {rgbAt(signed, 0, 0), rgbAt(signed, 1, 0)}).containsExactly(0x007F80, 0xFF817E);
  }

  /**
   * Signed 16-bit TIFF samples (SampleFormat 2; the reader returns them as Java's signed TYPE_SHORT) are scaled
   * from their full range, -32768 to black and 32767 to white, as the reader's own colour model does. They were
   * read as unsigned: -1 came out white, 0 black, -32768 mid-gray.
   */
  @Test
  void tiffSigned16BitSamplesAreScaledFromTheirFullRange() throws ImageDecodeException {
    Random rnd = new Random(16);
    int[] fixed = {-32768, -1, 0, 32767};
    assertTiffSamples(DataBuffer.TYPE_SHORT, 0, i -> i < fixed.length ? fixed[i] : (short) rnd.nextInt(),
        v -> (int) Math.round((v.intValue() + 32768) * 255.0 / 65535));
  }

  /**
   * Floating-point gray and RGB samples are used as stored too, from [0, 1] (clamped) to 0..255. Float gray
   * went through Java's linear-gray-to-sRGB conversion instead: 0.5 came out as 188, and 0.25 as 137.
   */
  @Test
  void tiffFloatSamplesAreUsedAsStored() throws ImageDecodeException {
    Random rnd = new Random(3);
    float[] fixed = {0.5f, 0.25f, -0.5f, 1.5f};
    assertTiffSamples(DataBuffer.TYPE_FLOAT, 0, i -> i < fixed.length ? fixed[i] : rnd.nextFloat(),
        v -> Math.round(Math.min(1f, Math.max(0f, v.floatValue())) * 255f));
  }

  /**
   * Decodes an 8x4 gray and an 8x4 RGB TIFF (written by the JDK's writer) whose samples of the given
   * transfer type are {@code sample(0)}, {@code sample(1)}, ... in raster order, with the SampleFormat tag set
   * to {@code sampleFormat} (0: as the writer writes it), and checks that each decoded 8-bit sample is
   * {@code expected(sample)}.
   */
  private void assertTiffSamples(int transferType, int sampleFormat, IntFunction<Number> sample,
      ToIntFunction<Number> expected) throws ImageDecodeException {
    for (int space : new int[] {ColorSpace.CS_GRAY, ColorSpace.CS_sRGB}) {
      ComponentColorModel cm = new ComponentColorModel(ColorSpace.getInstance(space), false, false,
          Transparency.OPAQUE, transferType);
      WritableRaster r = cm.createCompatibleWritableRaster(8, 4);
      int bands = r.getNumBands();
      Number[] values = new Number[32 * bands];
      for (int i = 0; i < values.length; i++) {
        values[i] = sample.apply(i);
        if (transferType == DataBuffer.TYPE_FLOAT) {
          r.setSample(i / bands % 8, i / bands / 8, i % bands, values[i].floatValue());
        } else {
          r.setSample(i / bands % 8, i / bands / 8, i % bands, values[i].intValue());
        }
      }
      byte[] tiff = EncodedFixtures.jdkTiff(new BufferedImage(cm, r, false, null));
      PixelImage img = decoder.decode(sampleFormat == 0 ? tiff : EncodedFixtures.withTiffSampleFormat(tiff,
          sampleFormat));
      for (int i = 0; i < values.length; i++) {
        int x = i / bands % 8;
        int y = i / bands / 8;
        for (int c : bands == 1 ? new int[] {0, 1, 2} : new int[] {2 - i % bands}) {
          assertThat(TestImages.at(img, x, y, c)).as("%d bands, sample %s at (%d,%d)", bands, values[i], x, y)
              .isEqualTo(expected.applyAsInt(values[i]));
        }
      }
    }
  }

  /**
   * A TIFF whose ExtraSamples tag says its alpha is associated (premultiplied, as ImageMagick and Apple
   * write): the colour samples are already scaled by alpha, so on white 50%-alpha red (128, 0, 0, 128) is
   * (255, 127, 127). TwelveMonkeys' reader returns it as straight alpha, which gave (191, 127, 127).
   */
  @Test
  void tiffWithPremultipliedAlphaIsCompositedAsSuch() throws ImageDecodeException {
    byte[] samples = {(byte) 128, 0, 0, (byte) 128, 0, 0, 0, 0, 10, 20, 30, (byte) 255};
    PixelImage associated = decoder.decode(EncodedFixtures.tiffWithIfdLast(3, 1, samples, 4, 1, 0));
    assertThat(new int[] {rgbAt(associated, 0, 0), rgbAt(associated, 1, 0), rgbAt(associated, 2, 0)})
        .containsExactly(0xFF7F7F, 0xFFFFFF, 0x0A141E);
    PixelImage unassociated = decoder.decode(EncodedFixtures.tiffWithIfdLast(3, 1, samples, 4, 2, 0));
    assertThat(new int[] {rgbAt(unassociated, 0, 0), rgbAt(unassociated, 1, 0), rgbAt(unassociated, 2, 0)})
        .containsExactly(0xBF7F7F, 0xFFFFFF, 0x0A141E);
  }

  @Test
  void losslessWebpIsExact() throws ImageDecodeException {
    int w = 7;
    int h = 5;
    boolean[] mask = new boolean[w * h];
    for (int i = 0; i < mask.length; i++) {
      mask[i] = (i % w) < 3 && (i / w) < 2 || i == mask.length - 1;
    }
    byte[] webp = EncodedFixtures.webpLossless(w, h, 0xFF10C020, 0xFFF02080, mask);
    assertThat(ImageDecoder.sniff(webp)).isEqualTo(ImageFormat.WEBP);
    assertTwoColours(decoder.decode(webp), w, h, mask, 0x10C020, 0xF02080, "");
  }

  /**
   * TwelveMonkeys' lossless WebP reader does not stop at the end of the data: it catches the EOFException of
   * each read past it and makes up the missing pixels. A 65-byte file (found by fuzzing: a 16031 x 21 VP8L
   * stream, then stray bytes) ran for minutes; a stream with 19,000 pixels missing, in a file whose RIFF and
   * chunk sizes fit it, came out as an image. Both are TRUNCATED now.
   */
  @Test
  void webpLosslessStreamThatEndsEarlyIsTruncatedWithoutDecodingPastTheEnd() {
    int w = 200;
    int h = 100;
    boolean[] mask = new boolean[w * h];
    Random random = new Random(31);
    for (int i = 0; i < mask.length; i++) {
      mask[i] = random.nextBoolean();
    }
    byte[] whole = EncodedFixtures.webpLossless(w, h, 0xFF204060, 0xFF204061, mask); // 1 bit a pixel
    byte[] cut = java.util.Arrays.copyOf(whole, 20 + 100); // RIFF and VP8L headers, the first 100 data bytes
    cut[4] = (byte) (cut.length - 8);
    cut[5] = 0;
    cut[16] = (byte) (cut.length - 20);
    cut[17] = 0;
    byte[] fuzzed = java.util.HexFormat.of().parseHex("524946462c000000574542505650384c200000002f9e3e05"
        + "000110b88818673bf1e1c10e1fc95d63fb23fe3fd37dc0ff021c2222e2dd211ededd1de20122dee101");
    for (byte[] webp : new byte[][] {cut, fuzzed}) {
      DecodeFailure reason = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> failureOf(webp));
      assertThat(reason).as("%d bytes", webp.length).isEqualTo(DecodeFailure.TRUNCATED);
    }
  }

  /**
   * A lossless stream that lacks its last bytes, in a file whose RIFF and chunk sizes fit what is left: the
   * reader makes up the missing pixels, and only thousands of reads past the end made it TRUNCATED; a stream
   * missing up to about 500 bytes decoded as an image. Whole streams of random sizes and contents still decode
   * exactly (the reader reads up to 8 bytes past the end of one).
   */
  @Test
  void webpLosslessStreamMissingItsLastBytesIsTruncated() throws ImageDecodeException {
    Random random = new Random(77);
    for (int n = 0; n < 40; n++) {
      int w = 8 + random.nextInt(90);
      int h = 8 + random.nextInt(90);
      boolean[] mask = new boolean[w * h];
      double p = 0.05 + 0.9 * random.nextDouble();
      for (int i = 0; i < mask.length; i++) {
        mask[i] = random.nextDouble() < p;
      }
      int colour0 = random.nextInt(1 << 24);
      int colour1 = colour0 ^ (1 + random.nextInt((1 << 24) - 1));
      byte[] whole = EncodedFixtures.webpLossless(w, h, 0xFF000000 | colour0, 0xFF000000 | colour1, mask);
      assertTwoColours(decoder.decode(whole), w, h, mask, colour0, colour1, n + ":");
      int missing = 3 + random.nextInt(Math.max(1, Math.min(500, whole.length - 30)));
      byte[] cut = java.util.Arrays.copyOf(whole, whole.length - missing);
      EncodedFixtures.putIntLe(cut, 4, cut.length - 8); // RIFF size
      EncodedFixtures.putIntLe(cut, 16, cut.length - 20); // VP8L chunk size
      assertThat(outcome(decoder, cut)).as("%dx%d, %d bytes, the last %d missing", w, h, whole.length, missing)
          .isEqualTo("TRUNCATED");
    }
  }

  /** {@code img} is {@code w x h}, each pixel {@code colour1} where {@code mask} is set, else {@code colour0}. */
  private static void assertTwoColours(PixelImage img, int w, int h, boolean[] mask, int colour0, int colour1,
      String label) {
    assertThat(img.width()).as(label).isEqualTo(w);
    assertThat(img.height()).as(label).isEqualTo(h);
    for (int i = 0; i < mask.length; i++) {
      assertThat(String.format("%06x", rgbAt(img, i % w, i / w))).as("%s pixel %d", label, i)
          .isEqualTo(String.format("%06x", mask[i] ? colour1 : colour0));
    }
  }

  /**
   * As for JPEG, an embedded ICC profile does not change the samples. TwelveMonkeys' reader converted a
   * WebP with a non-sRGB profile to sRGB: with the linear-RGB profile #C08040 came out as #E1BC89.
   */
  @Test
  void webpIccProfileIsIgnoredAndTheSamplesAreUsedAsStored() throws ImageDecodeException {
    int w = 4;
    int h = 3;
    boolean[] mask = new boolean[w * h];
    for (int i = 0; i < mask.length; i++) {
      mask[i] = i % 3 == 0;
    }
    byte[] plain = EncodedFixtures.webpLossless(w, h, 0xFF204060, 0xFFC08040, mask);
    for (int cs : new int[] {ColorSpace.CS_LINEAR_RGB, ColorSpace.CS_sRGB}) {
      byte[] webp = EncodedFixtures.webpWithIccProfile(plain, w, h, ICC_Profile.getInstance(cs).getData());
      assertTwoColours(decoder.decode(webp), w, h, mask, 0x204060, 0xC08040, "colour space " + cs + ",");
    }
  }

  /** As for GIF, an animated WebP's first frame lies at its position on the canvas its header gives. */
  @Test
  void animatedWebpFirstFrameIsPlacedOnItsCanvas() throws ImageDecodeException {
    int w = 3;
    int h = 2;
    boolean[] mask = {true, false, false, false, false, true};
    byte[] webp = EncodedFixtures.webpAnimationFrame(
        EncodedFixtures.webpLossless(w, h, 0xFF204060, 0xFFC08040, mask), w, h, 8, 6, 2, 4);
    PixelImage img = decoder.decode(webp);
    assertThat(img.width()).isEqualTo(8);
    assertThat(img.height()).isEqualTo(6);
    for (int y = 0; y < 6; y++) {
      for (int x = 0; x < 8; x++) {
        boolean inFrame = x >= 2 && x < 2 + w && y >= 4 && y < 4 + h;
        String expected = !inFrame ? "ffffff" : mask[(y - 4) * w + x - 2] ? "c08040" : "204060";
        assertThat(String.format("%06x", rgbAt(img, x, y))).as("(%d,%d)", x, y).isEqualTo(expected);
      }
    }
  }

  /**
   * An animated WebP whose chunk before the first frame claims 2^32 - 8 bytes: the walk to the frame steps
   * past the end of the file (the size is unsigned) and finds no frame. Read as a signed int the size made
   * the step 8 - 8 = 0, and the walk never ended.
   */
  @Test
  void animatedWebpCanvasWalkReadsChunkSizesAsUnsigned() {
    boolean[] mask = {true, false, false, false, false, true};
    byte[] huge = EncodedFixtures.webpAnimationFrame(
        EncodedFixtures.webpLossless(3, 2, 0xFF204060, 0xFFC08040, mask), 3, 2, 8, 6, 2, 4);
    huge[34] = (byte) 0xF8; // the ANIM chunk's size field
    huge[35] = (byte) 0xFF;
    huge[36] = (byte) 0xFF;
    huge[37] = (byte) 0xFF;
    assertThat(FrameCanvas.of(ImageFormat.WEBP, huge, 3, 2)).isEqualTo(new FrameCanvas(3, 2, 0, 0));
  }

  // ---- failures ----

  @Test
  void emptyInputIsEmpty() {
    assertThat(failureOf(new byte[0])).isEqualTo(DecodeFailure.EMPTY);
    assertThat(failureOf(null)).isEqualTo(DecodeFailure.EMPTY);
  }

  @Test
  void textIsNotAnImage() {
    assertThat(failureOf("hello, this is not a picture\n".getBytes(StandardCharsets.UTF_8)))
        .isEqualTo(DecodeFailure.NOT_AN_IMAGE);
    // "BM" alone is not enough to be taken for a bitmap.
    assertThat(failureOf("BMW 3 series, 1998, blue, low mileage".getBytes(StandardCharsets.UTF_8)))
        .isEqualTo(DecodeFailure.NOT_AN_IMAGE);
    assertThat(failureOf(new byte[] {(byte) 0xFF, (byte) 0xD8})).isEqualTo(DecodeFailure.NOT_AN_IMAGE);
  }

  /** An ISO-BMFF {@code ftyp} box (size, "ftyp", major brand, minor version 0, compatible brands), zeros. */
  private static byte[] ftyp(String major, String... compatible) {
    byte[] b = new byte[64];
    int size = 16 + 4 * compatible.length;
    b[3] = (byte) size;
    System.arraycopy(("ftyp" + major).getBytes(StandardCharsets.US_ASCII), 0, b, 4, 8);
    for (int i = 0; i < compatible.length; i++) {
      System.arraycopy(compatible[i].getBytes(StandardCharsets.US_ASCII), 0, b, 16 + 4 * i, 4);
    }
    return b;
  }

  /** Phone photos in HEIC or AVIF are images p9 cannot read, not "not an image". */
  @Test
  void heifAndAvifAreRecognisedAndUnsupported() {
    assertThat(ImageFormat.sniff(ftyp("heic", "mif1", "heic"))).isEqualTo(ImageFormat.HEIF);
    assertThat(ImageFormat.sniff(ftyp("heix"))).isEqualTo(ImageFormat.HEIF);
    assertThat(ImageFormat.sniff(ftyp("mif1", "mif1", "heic"))).isEqualTo(ImageFormat.HEIF);
    assertThat(ImageFormat.sniff(ftyp("avif", "mif1", "miaf"))).isEqualTo(ImageFormat.AVIF);
    assertThat(ImageFormat.sniff(ftyp("mif1", "mif1", "avif"))).isEqualTo(ImageFormat.AVIF);
    // An MP4 video has an ftyp box too.
    assertThat(ImageFormat.sniff(ftyp("isom", "isom", "mp41"))).isEqualTo(ImageFormat.UNKNOWN);
    assertThat(failureOf(ftyp("isom", "isom", "mp41"))).isEqualTo(DecodeFailure.NOT_AN_IMAGE);

    for (byte[] file : new byte[][] {ftyp("heic", "mif1", "heic"), ftyp("avif", "mif1", "miaf")}) {
      ImageDecodeException e = catchThrowableOfType(ImageDecodeException.class, () -> decoder.decode(file));
      assertThat(e).isNotNull();
      assertThat(e.reason()).as(e.getMessage()).isEqualTo(DecodeFailure.UNSUPPORTED_FORMAT);
      assertThat(e.getMessage()).contains(ImageFormat.sniff(file).name());
    }
  }

  @Test
  void moreBytesThanMaxBytesIsTooLarge() {
    byte[] png = EncodedFixtures.encode(noise(8, 8, 4), "png");
    ImageDecoder small = new ImageDecoder(DecodeOptions.defaults().withMaxBytes(png.length - 1));
    ImageDecodeException e = catchThrowableOfType(ImageDecodeException.class, () -> small.decode(png));
    assertThat(e.reason()).isEqualTo(DecodeFailure.TOO_LARGE);
    assertThat(e.getMessage()).contains("maxBytes");
  }

  @Test
  void morePixelsThanMaxPixelsIsTooLarge() throws ImageDecodeException {
    byte[] png = EncodedFixtures.encode(noise(10, 10, 5), "png");
    assertThat(new ImageDecoder(DecodeOptions.defaults().withMaxPixels(100)).decode(png).width())
        .isEqualTo(10);
    ImageDecodeException e = catchThrowableOfType(ImageDecodeException.class,
        () -> new ImageDecoder(DecodeOptions.defaults().withMaxPixels(99)).decode(png));
    assertThat(e.reason()).isEqualTo(DecodeFailure.TOO_LARGE);
    assertThat(e.getMessage()).contains("10x10").contains("maxPixels=99");
  }

  /**
   * Tiny files whose headers claim 50000x50000 (7.5 GB as BGR, more than the test JVM's heap): refused from
   * the header, so no pixel buffer is ever allocated.
   */
  @Test
  void decompressionBombsAreRefusedFromTheHeader() {
    byte[] png = EncodedFixtures.pngWithHeaderSize(EncodedFixtures.encode(noise(8, 8, 6), "png"),
        50_000, 50_000);
    byte[] jpeg = EncodedFixtures.jpegWithHeaderSize(
        EncodedFixtures.jpeg(quadrants(BufferedImage.TYPE_INT_RGB), 0.9f, false), 50_000, 50_000);
    for (byte[] bomb : new byte[][] {png, jpeg}) {
      assertThat(bomb.length).isLessThan(5_000);
      ImageDecodeException e = catchThrowableOfType(ImageDecodeException.class, () -> decoder.decode(bomb));
      assertThat(e.reason()).isEqualTo(DecodeFailure.TOO_LARGE);
      assertThat(e.getMessage()).contains("50000x50000");
    }
  }

  /**
   * A PNG whose header announces an image within maxPixels but whose compressed data could not hold it
   * (deflate packs at most 1032 bytes into one): refused from the chunks, before the reader allocates the
   * image. Here 4000x3000 RGB, 36 MB of pixels, from an 8x8 image's few hundred bytes of IDAT.
   */
  @Test
  void pngWhoseDataCannotHoldItsImageIsRefusedBeforeTheReaderAllocatesIt() throws ImageDecodeException {
    byte[] small = EncodedFixtures.encode(noise(8, 8, 6), "png");
    byte[] png = EncodedFixtures.pngWithHeaderSize(small, 4000, 3000);
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    long id = Thread.currentThread().getId();
    decoder.decode(small); // warm up: classes loaded, readers created
    long before = threads.getThreadAllocatedBytes(id);
    ImageDecodeException e = catchThrowableOfType(ImageDecodeException.class, () -> decoder.decode(png));
    long allocated = threads.getThreadAllocatedBytes(id) - before;
    assertThat(e).isNotNull();
    assertThat(allocated).as("bytes allocated refusing it").isLessThan(8L << 20);
    assertThat(e.reason()).as(e.getMessage()).isEqualTo(DecodeFailure.CORRUPT);
    assertThat(e.getMessage()).contains("4000x3000");

    // the bound is deflate's own: a black image, as compressible as images get, still decodes
    byte[] black = EncodedFixtures.encode(new BufferedImage(2000, 1500, BufferedImage.TYPE_INT_RGB), "png");
    assertThat(black.length * EncodedStructure.DEFLATE_MAX_RATIO).as("close to the bound")
        .isLessThan(2000L * 1500 * 3 * 50);
    assertThat(decoder.decode(black).width()).isEqualTo(2000);
  }

  /**
   * With maxPixels raised (say for large scans), an image whose BGR bytes cannot fit in one Java array
   * (more than (2^31 - 9) / 3 pixels) can still never be decoded: it is TOO_LARGE from its header, not a
   * CORRUPT file ("Invalid scanline stride" from the reader trying to allocate it).
   */
  @Test
  void imagesTooBigForOneArrayAreTooLargeWhateverMaxPixelsSays() {
    ImageDecoder unlimited = new ImageDecoder(DecodeOptions.defaults().withMaxPixels(Long.MAX_VALUE));
    byte[] png = EncodedFixtures.pngWithHeaderSize(EncodedFixtures.encode(noise(8, 8, 6), "png"),
        30_000, 30_000);
    byte[] jpeg = EncodedFixtures.jpegWithHeaderSize(
        EncodedFixtures.jpeg(quadrants(BufferedImage.TYPE_INT_RGB), 0.9f, false), 30_000, 30_000);
    for (byte[] big : new byte[][] {png, jpeg}) {
      ImageDecodeException e = catchThrowableOfType(ImageDecodeException.class, () -> unlimited.decode(big));
      assertThat(e).isNotNull();
      assertThat(e.reason()).as(e.getMessage()).isEqualTo(DecodeFailure.TOO_LARGE);
      assertThat(e.getMessage()).contains("30000x30000").contains("one Java array");
    }
  }

  /** Cut files are TRUNCATED (not a half-gray image, and not CORRUPT) for every format. */
  @Test
  void halfAFileIsTruncated() {
    BufferedImage src = noise(64, 48, 7);
    BufferedImage bgr = new BufferedImage(64, 48, BufferedImage.TYPE_3BYTE_BGR);
    bgr.getGraphics().drawImage(src, 0, 0, null);
    byte[][] files = {
        EncodedFixtures.jpeg(src, 0.9f, false),
        EncodedFixtures.jpeg(src, 0.9f, true),
        EncodedFixtures.encode(src, "png"),
        EncodedFixtures.encode(bgr, "bmp"),
        EncodedFixtures.encode(src, "gif"),
        EncodedFixtures.encode(src, "tiff")};
    for (byte[] file : files) {
      byte[] half = EncodedFixtures.firstHalf(file);
      ImageDecodeException e = catchThrowableOfType(ImageDecodeException.class, () -> decoder.decode(half));
      assertThat(e).as("%s cut to %d bytes", ImageDecoder.sniff(file), half.length).isNotNull();
      assertThat(e.reason()).as("%s: %s", ImageDecoder.sniff(file), e.getMessage())
          .isEqualTo(DecodeFailure.TRUNCATED);
      assertThat(e.getMessage()).contains("truncated");
    }
  }

  /**
   * A lossless WebP cut anywhere (even to its first 5%) used to decode "successfully": the VP8L reader fills
   * the missing part of the image without a word. libwebp refuses a file shorter than its RIFF header says.
   */
  @Test
  void losslessWebpCutShortIsTruncatedNotAnImageWithMadeUpPixels() {
    boolean[] mask = new boolean[64 * 48];
    for (int i = 0; i < mask.length; i++) {
      mask[i] = (i * 7919) % 3 == 0;
    }
    byte[] webp = EncodedFixtures.webpLossless(64, 48, 0xFF112233, 0xFFAABBCC, mask);
    for (int length : new int[] {webp.length / 20, webp.length / 2, webp.length - 12, webp.length - 1}) {
      byte[] cut = java.util.Arrays.copyOf(webp, length);
      ImageDecodeException e = catchThrowableOfType(ImageDecodeException.class, () -> decoder.decode(cut));
      assertThat(e).as("WebP of %d bytes cut to %d", webp.length, length).isNotNull();
      assertThat(e.reason()).as(e.getMessage()).isEqualTo(DecodeFailure.TRUNCATED);
      assertThat(e.getMessage()).startsWith("truncated WEBP (" + length + " bytes)")
          .contains("RIFF header announces " + webp.length + " bytes");
    }
  }

  /**
   * maxPixels bounds pixels, but a TIFF pixel can have up to 65535 samples. A 170-byte file (found by
   * fuzzing: 16132 x 3 pixels of 12803 samples) made TwelveMonkeys' reader allocate an 800 MB raster under
   * maxPixels=1,000,000. A TIFF whose raster would take more than 16 bytes (4 samples of 32 bits) for each
   * of maxPixels pixels is TOO_LARGE, found from the header.
   */
  @Test
  void tiffWithMoreSampleBytesThanMaxPixelsAllowIsTooLarge() throws ImageDecodeException {
    byte[] plain = EncodedFixtures.tiffWithIfdLast(200, 100, new byte[200 * 100 * 3]);
    byte[] tiff = plain.clone();
    int ifd = (tiff[4] & 0xFF) | (tiff[5] & 0xFF) << 8 | (tiff[6] & 0xFF) << 16 | (tiff[7] & 0xFF) << 24;
    int entry = ifd + 2;
    while (((tiff[entry] & 0xFF) | (tiff[entry + 1] & 0xFF) << 8) != 277) { // SamplesPerPixel
      entry += 12;
    }
    tiff[entry + 8] = (byte) 12803;
    tiff[entry + 9] = (byte) (12803 >> 8);
    ImageDecoder small = new ImageDecoder(DecodeOptions.defaults().withMaxPixels(200 * 100 * 100L));
    ImageDecodeException e = catchThrowableOfType(ImageDecodeException.class, () -> small.decode(tiff));
    assertThat(e).isNotNull();
    assertThat(e.reason()).as(e.getMessage()).isEqualTo(DecodeFailure.TOO_LARGE);
    assertThat(e.getMessage()).contains("200x100").contains("12803 samples");
    assertThat(small.decode(plain).width()).as("3 samples: within the bound").isEqualTo(200);
  }

  /**
   * A SamplesPerPixel over 65535 (it is a SHORT; a fuzzed file gave it as a 32-bit value, 1392574506) made
   * TwelveMonkeys' reader size arrays by it while still reading the header: OutOfMemoryError. CORRUPT now.
   */
  @Test
  void tiffWithSamplesPerPixelBeyondAShortIsCorrupt() {
    byte[] tiff = EncodedFixtures.tiffWithIfdLast(4, 4, new byte[4 * 4 * 3]);
    int ifd = (tiff[4] & 0xFF) | (tiff[5] & 0xFF) << 8 | (tiff[6] & 0xFF) << 16 | (tiff[7] & 0xFF) << 24;
    int entry = ifd + 2;
    while (((tiff[entry] & 0xFF) | (tiff[entry + 1] & 0xFF) << 8) != 277) {
      entry += 12;
    }
    tiff[entry + 2] = 4; // type LONG
    tiff[entry + 8] = (byte) 0xF0;
    tiff[entry + 9] = (byte) 0xFF;
    tiff[entry + 10] = (byte) 0xFF;
    tiff[entry + 11] = 0x7F;
    assertThat(failureOf(tiff)).isEqualTo(DecodeFailure.CORRUPT);
  }

  /**
   * libtiff and PIL write the IFD after the pixels: a cut file then has no IFD at all, and the reader
   * says only "index >= numImages (0 >= 0)". Its header still points past the end: TRUNCATED, as for TIFFs
   * that keep their IFD first (see halfAFileIsTruncated), not CORRUPT.
   */
  @Test
  void tiffWithItsIfdLastCutShortIsTruncated() throws ImageDecodeException {
    int w = 16;
    int h = 12;
    byte[] rgb = new byte[w * h * 3];
    new Random(12).nextBytes(rgb);
    byte[] tiff = EncodedFixtures.tiffWithIfdLast(w, h, rgb);
    PixelImage full = decoder.decode(tiff);
    assertThat(full.width()).isEqualTo(w);
    assertThat(rgbAt(full, 5, 7)).isEqualTo((rgb[(7 * w + 5) * 3] & 0xFF) << 16
        | (rgb[(7 * w + 5) * 3 + 1] & 0xFF) << 8 | (rgb[(7 * w + 5) * 3 + 2] & 0xFF));
    for (int length : new int[] {20, tiff.length / 2, tiff.length - 100}) {
      byte[] cut = java.util.Arrays.copyOf(tiff, length);
      ImageDecodeException e = catchThrowableOfType(ImageDecodeException.class, () -> decoder.decode(cut));
      assertThat(e).as("cut to %d of %d bytes", length, tiff.length).isNotNull();
      assertThat(e.reason()).as(e.getMessage()).isEqualTo(DecodeFailure.TRUNCATED);
      assertThat(e.getMessage()).startsWith("truncated TIFF");
    }
  }

  @Test
  void damagedFilesAreCorrupt() {
    byte[] png = EncodedFixtures.pngWithBitDepth(EncodedFixtures.encode(noise(8, 8, 8), "png"), 3);
    ImageDecodeException e = catchThrowableOfType(ImageDecodeException.class, () -> decoder.decode(png));
    assertThat(e.reason()).as(e.getMessage()).isEqualTo(DecodeFailure.CORRUPT);
    assertThat(e.getMessage()).startsWith("corrupt PNG");

    byte[] jpeg = EncodedFixtures.jpeg(quadrants(BufferedImage.TYPE_INT_RGB), 0.9f, false);
    byte[] noComponents = jpeg.clone();
    noComponents[EncodedFixtures.jpegSofOffset(jpeg) + 9] = 0; // number of components
    e = catchThrowableOfType(ImageDecodeException.class, () -> decoder.decode(noComponents));
    assertThat(e.reason()).as(e.getMessage()).isEqualTo(DecodeFailure.CORRUPT);

    // Complete file (it still ends with EOI), scrambled scan data: the reader only warns, and would
    // return a partly gray image.
    byte[] scrambled = EncodedFixtures.jpeg(noise(64, 48, 10), 0.9f, false);
    for (int i = scrambled.length - 400; i < scrambled.length - 300; i++) {
      scrambled[i] ^= 0x5A;
    }
    e = catchThrowableOfType(ImageDecodeException.class, () -> decoder.decode(scrambled));
    assertThat(e).isNotNull();
    assertThat(e.reason()).as(e.getMessage()).isEqualTo(DecodeFailure.CORRUPT);
  }

  /**
   * Bytes between the end of the scan data and EOI (an encoder's padding, or data some tools keep there): libjpeg
   * warns "Corrupt JPEG data: N extraneous bytes before marker 0xd9" and decodes every pixel, as viewers, PIL and
   * OpenCV show the file. Bytes inserted inside the scan data give the same warning, so p9 then checks the scan data
   * ({@link SequentialScans}): padding of 0x00 or 0xFF bytes after the standard's 1-bit fill passes, in files with
   * and without restart intervals, and the file decodes to its pixels; other bytes there fail it.
   */
  @Test
  void paddingBeforeEoiAfterTheScanDataDecodesToTheFilesPixels() throws Exception {
    byte[] plain = EncodedFixtures.jpeg(noise(64, 48, 11), 0.9f, false);
    byte[] restarts = EncodedFixtures.jpeg(noise(64, 48, 12), 2, 2, 3, false);
    byte[] stuffedOnes = new byte[64];
    for (int i = 0; i < stuffedOnes.length; i += 2) {
      stuffedOnes[i] = (byte) 0xFF;
    }
    for (byte[] jpeg : List.of(plain, restarts)) {
      for (byte[] padding : List.of(new byte[64], stuffedOnes)) {
        byte[] padded = EncodedFixtures.insert(jpeg, jpeg.length - 2, padding);
        assertThat(jdkJpegRead(padded).warnings()).singleElement().asString().startsWith("Corrupt JPEG data: ")
            .endsWith(" extraneous bytes before marker 0xd9");
        assertThat(decoder.decode(padded).data()).isEqualTo(decoder.decode(jpeg).data());
      }
    }
    byte[] junk = EncodedFixtures.insert(plain, plain.length - 2, "not padding, but a trailer".getBytes(
        StandardCharsets.US_ASCII));
    ImageDecodeException e = catchThrowableOfType(ImageDecodeException.class, () -> decoder.decode(junk));
    assertThat(e.reason()).as(e.getMessage()).isEqualTo(DecodeFailure.CORRUPT);
    assertThat(e.getMessage()).endsWith("26 bytes after the data, 26 of them neither 0x00 nor 0xFF padding (scan 1,"
        + " MCU 12 of 12)");
  }

  /** Stray bytes between header segments: libjpeg skips them with a warning; the scan data pass the check. */
  @Test
  void strayBytesBetweenHeaderSegmentsDecodeToTheFilesPixels() throws Exception {
    byte[] jpeg = EncodedFixtures.jpeg(noise(64, 48, 11), 0.9f, false);
    byte[] stray = EncodedFixtures.insert(jpeg, EncodedFixtures.jpegSofOffset(jpeg), new byte[] {1, 2, 3});
    assertThat(jdkJpegRead(stray).warnings()).containsOnly("Corrupt JPEG data: 3 extraneous bytes before marker 0xc0");
    assertThat(decoder.decode(stray).data()).isEqualTo(decoder.decode(jpeg).data());
  }

  /**
   * Bytes inserted inside a baseline scan's data: libjpeg decodes the blocks after them wrong, finishes before the
   * data does, and warns only of extraneous bytes before EOI, as for padding. The strict check finds the codes after
   * the insertion invalid for an 8-bit image, so the file is {@code CORRUPT} (before the check it decoded, wrong).
   */
  @Test
  void bytesInsertedIntoBaselineScanDataAreCorrupt() throws Exception {
    byte[] jpeg = EncodedFixtures.jpeg(noise(64, 48, 11), 0.9f, false);
    int data = EncodedFixtures.scanData(jpeg);
    byte[] inserted = EncodedFixtures.insert(jpeg, (data + jpeg.length) / 2, new byte[] {0x5A, 0x3C, 0x77});
    JdkRead jdk = jdkJpegRead(inserted);
    assertThat(jdk.warnings()).singleElement().asString().endsWith(" extraneous bytes before marker 0xd9");
    assertThat(jdk.pixels()).isNotEqualTo(jdkJpegRead(jpeg).pixels());
    ImageDecodeException e = catchThrowableOfType(ImageDecodeException.class, () -> decoder.decode(inserted));
    assertThat(e.reason()).as(e.getMessage()).isEqualTo(DecodeFailure.CORRUPT);
    assertThat(e.getMessage()).startsWith("corrupt JPEG (" + inserted.length + " bytes): reader warning: "
        + jdk.warnings().get(0) + "; the scan data do not decode strictly, as after bytes inserted into them: ");
  }

  /**
   * Seeded insertions of 1 to 4 random bytes at random places in a baseline JPEG's scan data (64x48 noise at
   * quality 0.9, 3.3 KB): every file that p9 accepts decodes to the original's pixels, or libjpeg gave no warning;
   * here 97 of the 100 give only the warning of extraneous bytes before EOI, and all 97 are {@code CORRUPT}.
   * Measured with 400 insertions (another seed): 395 gave only that warning, all with wrong pixels, all accepted
   * before the check and all {@code CORRUPT} with it (276 by a run past a block's 64th coefficient, 102 by fill bits
   * that are not 1s, 14 by bytes after the data that are not padding, 3 by a DC coefficient out of range); 4 gave
   * another warning ({@code CORRUPT} already); 1 gave none and decodes wrong. In a 100x100 Fruits-360 photo (6.6 KB)
   * most insertions give no warning (284 of 400), so no check runs and they decode wrong, unseen; 39 gave the
   * warning before EOI (all caught) and 77 another one.
   */
  @Test
  void insertedBytesThatLibjpegWarnsAboutNeverDecodeToWrongPixels() throws Exception {
    byte[] jpeg = EncodedFixtures.jpeg(noise(64, 48, 11), 0.9f, false);
    byte[] expected = decoder.decode(jpeg).data();
    int data = EncodedFixtures.scanData(jpeg);
    Random rnd = new Random(7);
    int beforeEoi = 0; // files with only the warning of extraneous bytes before EOI
    int caught = 0;
    for (int i = 0; i < 100; i++) {
      byte[] bytes = new byte[1 + rnd.nextInt(4)];
      rnd.nextBytes(bytes);
      int at = data + rnd.nextInt(jpeg.length - 2 - data + 1);
      byte[] file = EncodedFixtures.insert(jpeg, at, bytes);
      List<String> warnings;
      try {
        warnings = jdkJpegRead(file).warnings();
      } catch (IOException e) {
        warnings = List.of(e.toString());
      }
      boolean onlyBeforeEoi = !warnings.isEmpty() && warnings.stream().allMatch(w -> w.endsWith(" before marker 0xd9"));
      beforeEoi += onlyBeforeEoi ? 1 : 0;
      try {
        byte[] pixels = decoder.decode(file).data();
        assertThat(warnings.isEmpty() || Arrays.equals(pixels, expected)).as("%d bytes at %d", bytes.length, at)
            .isTrue();
      } catch (ImageDecodeException e) {
        caught += onlyBeforeEoi && e.reason() == DecodeFailure.CORRUPT ? 1 : 0;
      }
    }
    assertThat(beforeEoi).isGreaterThan(90);
    assertThat(caught).isEqualTo(beforeEoi);
  }

  /** A fresh JDK JPEG reader's warnings for a file, and the bytes of its image's raster. */
  private record JdkRead(List<String> warnings, byte[] pixels) {}

  private static JdkRead jdkJpegRead(byte[] jpeg) throws IOException {
    ImageReader reader = EncodedFixtures.jpegReader("com.sun.imageio.");
    List<String> warnings = new ArrayList<>();
    reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
    try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(jpeg))) {
      reader.setInput(in, false, true);
      BufferedImage image = reader.read(0);
      return new JdkRead(warnings, ((DataBufferByte) image.getRaster().getDataBuffer()).getData());
    } finally {
      reader.dispose();
    }
  }

  @Test
  void readerWarningsAreClassifiedByWhatTheySayAboutThePixels() {
    assertThat(ImageDecoder.Warnings.classify("Truncated File - Missing EOI marker"))
        .isEqualTo(DecodeFailure.TRUNCATED);
    assertThat(ImageDecoder.Warnings.classify("Premature end of JPEG file"))
        .isEqualTo(DecodeFailure.TRUNCATED);
    assertThat(ImageDecoder.Warnings.classify("Corrupt JPEG data: premature end of data segment"))
        .isEqualTo(DecodeFailure.CORRUPT);
    assertThat(ImageDecoder.Warnings.classify("Corrupt JPEG data: 3 extraneous bytes before marker 0xd3"))
        .isEqualTo(DecodeFailure.CORRUPT);
    assertThat(ImageDecoder.Warnings.classify("Corrupt JPEG data: 2 extraneous bytes before marker 0xd9"))
        .isNull();
    assertThat(ImageDecoder.Warnings.classify("Bad 'ICC_PROFILE' chunk count: 3. Ignoring ICC profile."))
        .isNull();
    assertThat(ImageDecoder.Warnings.classify("JFIF markers not allowed in JFIF JPEG thumbnail; ignored"))
        .isNull();
    assertThat(ImageDecoder.Warnings.classify(null)).isNull();
  }

  @Test
  void aDecoderKeepsWorkingAfterFailuresAndAcrossFormats() throws ImageDecodeException {
    BufferedImage src = noise(9, 9, 9);
    byte[] png = EncodedFixtures.encode(src, "png");
    byte[] jpeg = EncodedFixtures.jpeg(quadrants(BufferedImage.TYPE_INT_RGB), 0.95f, false);
    ImageDecoder fresh = new ImageDecoder(DecodeOptions.defaults());
    byte[] expectedJpeg = fresh.decode(jpeg).data().clone();
    for (int round = 0; round < 3; round++) {
      assertSamePixels(decoder.decode(png), src);
      assertThat(failureOf(EncodedFixtures.firstHalf(png))).isEqualTo(DecodeFailure.TRUNCATED);
      assertThat(failureOf(EncodedFixtures.firstHalf(jpeg))).isEqualTo(DecodeFailure.TRUNCATED);
      assertThat(decoder.decode(jpeg).data()).isEqualTo(expectedJpeg);
      assertSamePixels(decoder.decode(EncodedFixtures.encode(src, "tiff")), src);
    }
  }

  @Test
  void sniffRecognisesEachSignature() {
    assertThat(ImageFormat.sniff(new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, (byte) 0xE0}))
        .isEqualTo(ImageFormat.JPEG);
    assertThat(ImageFormat.sniff("GIF87a...".getBytes(StandardCharsets.US_ASCII))).isEqualTo(ImageFormat.GIF);
    assertThat(ImageFormat.sniff("GIF89a...".getBytes(StandardCharsets.US_ASCII))).isEqualTo(ImageFormat.GIF);
    assertThat(ImageFormat.sniff(new byte[] {'I', 'I', 42, 0})).isEqualTo(ImageFormat.TIFF);
    assertThat(ImageFormat.sniff(new byte[] {'M', 'M', 0, 42})).isEqualTo(ImageFormat.TIFF);
    assertThat(ImageFormat.sniff("RIFF\0\0\0\0WEBPVP8 ".getBytes(StandardCharsets.US_ASCII)))
        .isEqualTo(ImageFormat.WEBP);
    assertThat(ImageFormat.sniff("RIFF\0\0\0\0WAVEfmt ".getBytes(StandardCharsets.US_ASCII)))
        .isEqualTo(ImageFormat.UNKNOWN);
    assertThat(ImageFormat.sniff(new byte[0])).isEqualTo(ImageFormat.UNKNOWN);
    assertThat(ImageFormat.sniff(null)).isEqualTo(ImageFormat.UNKNOWN);
  }

  @Test
  void optionsAreValidated() {
    assertThatThrownBy(() -> DecodeOptions.defaults().withMaxPixels(0))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
