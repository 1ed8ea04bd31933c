package io.p9.core.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link SequentialScans} on files the JDK's writer makes: every sequential JPEG, with or without padding before
 * EOI, passes; damage is named; files it does not follow are not judged. {@link ImageDecoderTest} covers how the
 * decoder uses it.
 */
class SequentialScansTest {
  /** A gradient with noise, so that every block has coefficients. */
  private static BufferedImage picture(int type, long seed) {
    Random rnd = new Random(seed);
    BufferedImage img = new BufferedImage(83, 61, type);
    for (int y = 0; y < img.getHeight(); y++) {
      for (int x = 0; x < img.getWidth(); x++) {
        img.setRGB(x, y, (x * 3 + rnd.nextInt(30)) << 16 | (y * 4 + rnd.nextInt(30)) << 8 | rnd.nextInt(256));
      }
    }
    return img;
  }

  @Test
  void sequentialFilesPassWithOrWithoutPaddingBeforeEoi() {
    BufferedImage colour = picture(BufferedImage.TYPE_INT_RGB, 1);
    List<byte[]> files = List.of(EncodedFixtures.jpeg(colour, 0.9f, false),
        EncodedFixtures.jpeg(picture(BufferedImage.TYPE_BYTE_GRAY, 2), 0.9f, false),
        EncodedFixtures.jpeg(colour, 1, 1, 1, false), EncodedFixtures.jpeg(colour, 2, 2, 3, false),
        EncodedFixtures.jpeg(colour, 2, 1, 5, false), EncodedFixtures.jpeg(colour, 1, 2, 0, false));
    for (byte[] jpeg : files) {
      assertThat(SequentialScans.damage(jpeg)).isNull();
      byte[] zeros = EncodedFixtures.insert(jpeg, jpeg.length - 2, new byte[9]);
      assertThat(SequentialScans.damage(zeros)).isNull();
      byte[] ones = EncodedFixtures.insert(jpeg, jpeg.length - 2, new byte[] {(byte) 0xFF, 0, (byte) 0xFF, 0});
      assertThat(SequentialScans.damage(ones)).isNull();
    }
  }

  @Test
  void bytesInsertedBeforeARestartMarkerAreDamage() {
    byte[] jpeg = EncodedFixtures.jpeg(picture(BufferedImage.TYPE_INT_RGB, 3), 1, 1, 4, false);
    int rst1 = EncodedFixtures.scanData(jpeg);
    while (!(jpeg[rst1] == (byte) 0xFF && jpeg[rst1 + 1] == (byte) 0xD1)) {
      rst1++;
    }
    assertThat(SequentialScans.damage(EncodedFixtures.insert(jpeg, rst1, new byte[] {0, 0})))
        .as("padding before a restart marker").isNull();
    assertThat(SequentialScans.damage(EncodedFixtures.insert(jpeg, rst1, new byte[] {0x41, 0x42})))
        .isEqualTo("the scan data do not decode strictly, as after bytes inserted into them: 2 bytes after the data,"
            + " 2 of them neither 0x00 nor 0xFF padding (scan 1, MCU 9 of 88)");
  }

  @Test
  void filesItDoesNotFollowAreNotJudged() {
    byte[] progressive = EncodedFixtures.jpeg(picture(BufferedImage.TYPE_INT_RGB, 4), 0.9f, true);
    byte[] junk = {0x41, 0x42, 0x43};
    assertThat(SequentialScans.damage(EncodedFixtures.insert(progressive, progressive.length - 2, junk))).isNull();
    byte[] baseline = EncodedFixtures.jpeg(picture(BufferedImage.TYPE_INT_RGB, 4), 0.9f, false);
    byte[] noTables = EncodedFixtures.jpegWithout(EncodedFixtures.insert(baseline, baseline.length - 2, junk), 0xC4);
    assertThat(SequentialScans.damage(noTables)).isNull();
    assertThat(SequentialScans.damage(EncodedFixtures.insert(baseline, baseline.length - 2, junk))).isNotNull();
  }
}
