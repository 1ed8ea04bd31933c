package io.p9.core.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import java.awt.color.ColorSpace;
import java.awt.color.ICC_Profile;
import java.awt.image.BufferedImage;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Random;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.junit.jupiter.api.Test;

/**
 * {@link ProgressiveJpeg}: the JDK's reader gives the baseline transcode of a progressive JPEG exactly the pixels
 * it gives the progressive file, and {@link ImageDecoder} gives every file, transcoded or not, the outcome it gives
 * without the transcoder.
 */
class ProgressiveJpegTest {
  private static final long MAX_PIXELS = DecodeOptions.defaults().maxPixels();

  /** A gradient with noise: coefficients of every size, in every band. */
  private static BufferedImage picture(int w, int h, int type, long seed) {
    Random rnd = new Random(seed);
    BufferedImage img = new BufferedImage(w, h, type);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int r = Math.min(255, x * 255 / Math.max(1, w - 1) + rnd.nextInt(40));
        int g = Math.min(255, y * 255 / Math.max(1, h - 1) + rnd.nextInt(40));
        int b = (x * y + rnd.nextInt(60)) & 0xFF;
        img.setRGB(x, y, r << 16 | g << 8 | b);
      }
    }
    return img;
  }

  /** Type, size and raster bytes of a fresh JDK reader's image of the file. */
  private static byte[] jdkPixels(byte[] jpeg) throws IOException {
    ImageReader reader = EncodedFixtures.jpegReader("com.sun.imageio.");
    try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(jpeg))) {
      reader.setInput(in, false, true);
      BufferedImage img = reader.read(0);
      byte[] data = ((DataBufferByte) img.getRaster().getDataBuffer()).getData();
      byte[] out = Arrays.copyOf(data, data.length + 3);
      out[data.length] = (byte) img.getType();
      out[data.length + 1] = (byte) img.getWidth();
      out[data.length + 2] = (byte) img.getHeight();
      return out;
    } finally {
      reader.dispose();
    }
  }

  private static void assertTranscodesToTheSamePixels(byte[] progressive, String what) throws Exception {
    assertTranscodesToTheSamePixels(progressive, 0xC0, what);
  }

  /** The transcode's frame header is {@code sof}: SOF0 (baseline), or SOF1 for 16-bit quantization tables. */
  private static void assertTranscodesToTheSamePixels(byte[] progressive, int sof, String what) throws Exception {
    assertThat(ProgressiveJpeg.progressive(progressive)).as(what).isTrue();
    byte[] baseline = ProgressiveJpeg.transcode(progressive, MAX_PIXELS);
    assertThat(ProgressiveJpeg.progressive(baseline)).as(what).isFalse();
    assertThat(baseline[EncodedFixtures.jpegSofOffset(baseline) + 1]).as(what).isEqualTo((byte) sof);
    assertThat(jdkPixels(baseline)).as(what).isEqualTo(jdkPixels(progressive));
  }

  @Test
  void baselineTranscodeHasTheProgressiveFilesPixelsForEverySamplingAndRestartInterval() throws Exception {
    int[][] samplings = {{1, 1}, {2, 1}, {1, 2}, {2, 2}, {4, 1}, {3, 1}, {1, 4}};
    int[][] sizes = {{37, 29}, {64, 48}, {1, 1}, {130, 7}, {9, 70}};
    int n = 0;
    for (int[] s : samplings) {
      for (int[] size : sizes) {
        for (int restart : new int[] {0, 1, 3}) {
          for (int type : new int[] {BufferedImage.TYPE_3BYTE_BGR, BufferedImage.TYPE_BYTE_GRAY}) {
            BufferedImage img = picture(size[0], size[1], type, n++);
            byte[] jpeg = EncodedFixtures.progressiveJpeg(img, s[0], s[1], restart);
            assertTranscodesToTheSamePixels(jpeg, "sampling " + s[0] + "x" + s[1] + ", " + size[0] + "x" + size[1]
                + ", restart " + restart + ", type " + type);
          }
        }
      }
    }
  }

  @Test
  void baselineTranscodeHasTheProgressiveFilesPixelsAtEveryQuality() throws Exception {
    BufferedImage img = picture(100, 100, BufferedImage.TYPE_3BYTE_BGR, 7);
    for (float quality : new float[] {0.05f, 0.5f, 0.75f, 0.95f, 1f}) {
      assertTranscodesToTheSamePixels(EncodedFixtures.jpeg(img, quality, true), "quality " + quality);
    }
  }

  @Test
  void decoderGivesAProgressiveJpegWithExifAndIccThePixelsOfTheJdkPathAlone() throws Exception {
    byte[] jpeg = EncodedFixtures.withJpegExifOrientation(
        EncodedFixtures.jpeg(picture(48, 20, BufferedImage.TYPE_3BYTE_BGR, 3), 0.9f, true), 6);
    byte[] icc = EncodedFixtures.iccSegments(ICC_Profile.getInstance(ColorSpace.CS_LINEAR_RGB).getData(), 2);
    for (byte[] file : new byte[][] {jpeg, EncodedFixtures.insert(jpeg, 2, icc)}) {
      assertThat(ProgressiveJpeg.transcode(JpegIccSegments.strip(file), MAX_PIXELS)).isNotNull();
      PixelImage transcoded = new ImageDecoder().decode(file);
      PixelImage asIs = new ImageDecoder(DecodeOptions.defaults(), false).decode(file);
      assertThat(transcoded.width()).isEqualTo(20); // orientation 6: turned a quarter
      assertThat(transcoded.height()).isEqualTo(48);
      assertThat(transcoded.data()).isEqualTo(asIs.data());
    }
  }

  /**
   * What libjpeg reads as a whole image is transcoded too: bytes after EOI (padding, a second image, a video, as
   * phones append), quantization tables of 16-bit precision (a baseline frame cannot have them, so the transcode's
   * frame is SOF1, as {@code jpegtran} writes it), tables defined after the frame header (libjpeg takes a
   * component's table at its first scan). The decoder gives each the pixels of the baseline file that the JDK's
   * writer makes of the same picture (the same coefficients), as it does without the transcoder; with the tables'
   * values made larger than 8 bits hold, other pixels, the same with and without the transcoder.
   */
  @Test
  void trailerSixteenBitTablesAndTablesAfterTheFrameAreTranscodedToTheSamePixels() throws Exception {
    BufferedImage img = picture(40, 30, BufferedImage.TYPE_3BYTE_BGR, 12);
    byte[] jpeg = EncodedFixtures.jpeg(img, 0.9f, true);
    byte[] reference = new ImageDecoder().decode(EncodedFixtures.jpeg(img, 0.9f, false)).data();
    byte[][] files = {Arrays.copyOf(jpeg, jpeg.length + 4), EncodedFixtures.insert(jpeg, jpeg.length, jpeg),
        EncodedFixtures.insert(jpeg, jpeg.length, new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF}),
        EncodedFixtures.jpegWithSixteenBitQuantTables(jpeg, 1), EncodedFixtures.jpegWithQuantTablesAfterFrame(jpeg)};
    for (int i = 0; i < files.length; i++) {
      assertTranscodesToTheSamePixels(files[i], i == 3 ? 0xC1 : 0xC0, "file " + i);
      assertThat(new ImageDecoder().decode(files[i]).data()).as("file %d", i).isEqualTo(reference);
      assertThat(outcome(new ImageDecoder(), files[i])).as("file %d", i)
          .isEqualTo(outcome(new ImageDecoder(DecodeOptions.defaults(), false), files[i]));
    }
    byte[] coarse = EncodedFixtures.jpegWithSixteenBitQuantTables(jpeg, 40);
    assertTranscodesToTheSamePixels(coarse, 0xC1, "values up to 40 x 255");
    assertThat(new ImageDecoder().decode(coarse).data()).isNotEqualTo(reference)
        .isEqualTo(new ImageDecoder(DecodeOptions.defaults(), false).decode(coarse).data());
  }

  /**
   * A progressive CMYK or YCCK JPEG (4 components, an Adobe APP14 marker) is not transcoded: the decoder reads it
   * as it is, through the reader's colour conversion, to the pixels that ImageIO's reader (TwelveMonkeys') gives
   * the baseline file of the same ink samples.
   */
  @Test
  void progressiveCmykAndYcckJpegsDecodeAsTheirBaselineEquivalents() throws Exception {
    WritableRaster ink = Raster.createInterleavedRaster(DataBuffer.TYPE_BYTE, 40, 30, 4, null);
    Random rnd = new Random(13);
    for (int y = 0; y < 30; y++) {
      for (int x = 0; x < 40; x++) {
        for (int c = 0; c < 4; c++) {
          ink.setSample(x, y, c, (x * (c + 1) * 5 + y * 3 + rnd.nextInt(30)) & 0xFF);
        }
      }
    }
    for (int transform : new int[] {0, 2}) {
      byte[] progressive = EncodedFixtures.withAdobeMarker(EncodedFixtures.jpegOfRaster(ink, true), transform);
      byte[] baseline = EncodedFixtures.withAdobeMarker(EncodedFixtures.jpegOfRaster(ink, false), transform);
      assertThat(ProgressiveJpeg.progressive(progressive)).isTrue();
      BufferedImage expected = twelveMonkeysImage(baseline);
      PixelImage decoded = new ImageDecoder().decode(progressive);
      for (int y = 0; y < 30; y++) {
        for (int x = 0; x < 40; x++) {
          int rgb = TestImages.at(decoded, x, y, 2) << 16 | TestImages.at(decoded, x, y, 1) << 8
              | TestImages.at(decoded, x, y, 0);
          assertThat(rgb).as("transform %d, (%d,%d)", transform, x, y).isEqualTo(expected.getRGB(x, y) & 0xFFFFFF);
        }
      }
    }
  }

  private static BufferedImage twelveMonkeysImage(byte[] jpeg) throws IOException {
    ImageReader reader = EncodedFixtures.jpegReader("com.twelvemonkeys.");
    try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(jpeg))) {
      reader.setInput(in, false, true);
      return reader.read(0);
    } finally {
      reader.dispose();
    }
  }

  @Test
  void truncatedOrCorruptFilesAreNotTranscodedAndFailAsWithoutTheTranscoder() throws Exception {
    byte[] jpeg = EncodedFixtures.progressiveJpeg(picture(40, 30, BufferedImage.TYPE_3BYTE_BGR, 5), 2, 2, 2);
    byte[][] files = {Arrays.copyOf(jpeg, jpeg.length - 2), EncodedFixtures.firstHalf(jpeg),
        Arrays.copyOf(jpeg, jpeg.length - 40), EncodedFixtures.withBadHuffmanCodes(jpeg)};
    for (byte[] file : files) {
      assertThat(ProgressiveJpeg.toBaseline(file, MAX_PIXELS)).as("%d bytes", file.length).isNull();
      assertThat(outcome(new ImageDecoder(), file)).as("%d bytes", file.length)
          .isEqualTo(outcome(new ImageDecoder(DecodeOptions.defaults(), false), file));
    }
    assertThat(outcome(new ImageDecoder(), files[1])).startsWith("TRUNCATED");
    assertThat(outcome(new ImageDecoder(), files[3])).startsWith("CORRUPT");
  }

  /**
   * A progressive JPEG that ends (EOI) before its last scans is whole to the JDK's reader, which smooths the
   * blocks whose low coefficients are not all there; a baseline file would not be smoothed, so it is not made.
   */
  @Test
  void jpegWithoutItsLastScansIsNotTranscodedAndDecodesAsWithoutTheTranscoder() throws Exception {
    byte[] jpeg = EncodedFixtures.jpeg(picture(40, 32, BufferedImage.TYPE_3BYTE_BGR, 9), 0.9f, true);
    int scans = 0;
    for (int pos = 2; (jpeg[pos + 1] & 0xFF) != 0xD9; ) {
      if ((jpeg[pos + 1] & 0xFF) == 0xDA) {
        byte[] cut = Arrays.copyOf(jpeg, pos + 2);
        cut[pos + 1] = (byte) 0xD9; // EOI where the scan began
        if (scans++ > 0) {
          assertThat(outcome(new ImageDecoder(), cut)).as("%d scans", scans - 1).startsWith("OK")
              .isEqualTo(outcome(new ImageDecoder(DecodeOptions.defaults(), false), cut));
          assertThat(ProgressiveJpeg.toBaseline(cut, MAX_PIXELS)).as("%d scans", scans - 1).isNull();
        }
        pos = JpegSegments.afterScan(jpeg, pos);
      } else {
        pos += 2 + (((jpeg[pos + 2] & 0xFF) << 8) | (jpeg[pos + 3] & 0xFF));
      }
    }
    assertThat(scans).isGreaterThan(5);
  }

  /** Each header segment given the least length (2) and the file cut right after it: refused, nothing thrown. */
  @Test
  void headerSegmentsOfNoPayloadAtTheEndAreRefused() {
    byte[] jpeg = EncodedFixtures.progressiveJpeg(picture(16, 16, BufferedImage.TYPE_3BYTE_BGR, 10), 2, 2, 1);
    int segments = 0;
    for (int pos = 2, marker = 0; marker != 0xDA; segments++) { // up to the first SOS, itself included
      marker = jpeg[pos + 1] & 0xFF;
      byte[] cut = Arrays.copyOf(jpeg, pos + 4);
      cut[pos + 2] = 0;
      cut[pos + 3] = 2;
      assertThatThrownBy(() -> ProgressiveJpeg.transcode(cut, MAX_PIXELS)).as("marker %x", cut[cut.length - 3])
          .isInstanceOf(JpegBitReader.Refused.class);
      pos += 2 + (((jpeg[pos + 2] & 0xFF) << 8) | (jpeg[pos + 3] & 0xFF));
    }
    assertThat(segments).isGreaterThan(4);
  }

  @Test
  void largerThanMaxPixelsIsNotTranscoded() throws Exception {
    byte[] jpeg = EncodedFixtures.jpeg(picture(40, 30, BufferedImage.TYPE_3BYTE_BGR, 6), 0.9f, true);
    assertThat(ProgressiveJpeg.toBaseline(jpeg, 1200)).isNotNull();
    assertThat(ProgressiveJpeg.toBaseline(jpeg, 1199)).isNull();
  }

  /**
   * Mutants of a small progressive JPEG (bytes changed, inserted, removed, the file cut): the transcoder refuses
   * them or transcodes them, never throwing anything else, and the decoder's outcome for each (pixels, or failure
   * and message) is the one it has without the transcoder.
   */
  @Test
  void mutantsDecodeAsWithoutTheTranscoder() throws Exception {
    long seed = 20261206L;
    Random rnd = new Random(seed);
    byte[] jpeg = EncodedFixtures.progressiveJpeg(picture(24, 20, BufferedImage.TYPE_3BYTE_BGR, 8), 2, 2, 2);
    ImageDecoder transcoding = new ImageDecoder();
    ImageDecoder asIs = new ImageDecoder(DecodeOptions.defaults(), false);
    int transcoded = 0;
    for (int i = 0; i < 3000; i++) {
      byte[] mutant = mutate(jpeg, rnd);
      byte[] baseline = null;
      try {
        baseline = ProgressiveJpeg.transcode(JpegIccSegments.strip(mutant), MAX_PIXELS);
      } catch (JpegBitReader.Refused expected) {
        // refused: decoded as it is
      } catch (RuntimeException e) {
        fail("seed " + seed + ", mutant " + i + ": the transcoder threw " + e, e);
      }
      String expected = outcome(asIs, mutant);
      assertThat(outcome(transcoding, mutant)).as("seed %d, mutant %d", seed, i).isEqualTo(expected);
      if (baseline != null && expected.startsWith("OK")) {
        transcoded++;
      }
    }
    assertThat(transcoded).as("mutants decoded through the transcoder").isGreaterThan(100);
  }

  private static byte[] mutate(byte[] jpeg, Random rnd) {
    int at = rnd.nextInt(jpeg.length);
    switch (rnd.nextInt(5)) {
      case 0 -> {
        return Arrays.copyOf(jpeg, at);
      }
      case 1 -> {
        return EncodedFixtures.insert(jpeg, at, new byte[] {(byte) rnd.nextInt(256)});
      }
      case 2 -> {
        byte[] out = new byte[jpeg.length - 1];
        System.arraycopy(jpeg, 0, out, 0, at);
        System.arraycopy(jpeg, at + 1, out, at, jpeg.length - at - 1);
        return out;
      }
      default -> {
        byte[] out = jpeg.clone();
        for (int j = 1 + rnd.nextInt(3); j > 0; j--) {
          out[rnd.nextInt(out.length)] = (byte) rnd.nextInt(256);
        }
        return out;
      }
    }
  }

  private static String outcome(ImageDecoder decoder, byte[] file) {
    try {
      PixelImage img = decoder.decode(file);
      return "OK " + img.width() + "x" + img.height() + " " + Arrays.hashCode(img.data());
    } catch (ImageDecodeException e) {
      return e.reason() + " " + e.getMessage();
    }
  }
}
