package io.p9.core.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.color.ColorSpace;
import java.awt.color.ICC_Profile;
import java.awt.image.BufferedImage;
import java.awt.image.DataBuffer;
import java.awt.image.Raster;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class JpegIccSegmentsTest {
  private static final byte[] PROFILE = ICC_Profile.getInstance(ColorSpace.CS_sRGB).getData();

  private static byte[] colourJpeg() {
    return EncodedFixtures.jpeg(new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB), 0.9f, false);
  }

  @Test
  void everyProfileChunkIsRemovedAndNothingElse() {
    byte[] plain = colourJpeg();
    int at = EncodedFixtures.jpegAfterApp0(plain);
    for (int chunks = 1; chunks <= 3; chunks++) {
      byte[] tagged = EncodedFixtures.insert(plain, at, EncodedFixtures.iccSegments(PROFILE, chunks));
      assertThat(JpegIccSegments.strip(tagged)).as("%d chunk(s)", chunks).isEqualTo(plain);
    }
    // One before and one after the APP1 (EXIF) segment, which stays.
    byte[] exif = EncodedFixtures.withJpegExifOrientation(plain, 6);
    byte[] icc = EncodedFixtures.iccSegments(PROFILE, 1);
    byte[] before = EncodedFixtures.insert(exif, 2, icc);
    int afterApp1 = 2 + icc.length + 2 + (((exif[4] & 0xFF) << 8) | (exif[5] & 0xFF));
    assertThat(JpegIccSegments.strip(EncodedFixtures.insert(before, afterApp1, icc))).isEqualTo(exif);
  }

  @Test
  void aJpegWithoutProfileIsReturnedAsItIs() {
    byte[] plain = colourJpeg();
    assertThat(JpegIccSegments.strip(plain)).isSameAs(plain);
    // Another APP2 segment is not a profile.
    byte[] other = EncodedFixtures.withJpegSegmentAfterSoi(plain, 0xE2,
        "MPF\0 not a profile".getBytes(StandardCharsets.US_ASCII));
    assertThat(JpegIccSegments.strip(other)).isSameAs(other);
  }

  /** CMYK and YCCK need their profile to become RGB: a four-component frame keeps it. */
  @Test
  void aFourComponentJpegKeepsItsProfile() {
    byte[] cmyk = EncodedFixtures.withAdobeMarker(EncodedFixtures.jpegOfRaster(
        Raster.createInterleavedRaster(DataBuffer.TYPE_BYTE, 16, 16, 4, null)), 0);
    byte[] tagged = EncodedFixtures.insert(cmyk, 2, EncodedFixtures.iccSegments(PROFILE, 1));
    assertThat(JpegIccSegments.strip(tagged)).isSameAs(tagged);
  }

  @Test
  void aSegmentChainThatCannotBeFollowedIsReturnedAsItIs() {
    byte[] tagged = EncodedFixtures.insert(colourJpeg(), 2, EncodedFixtures.iccSegments(PROFILE, 1));
    byte[] cutInProfile = Arrays.copyOf(tagged, 2 + PROFILE.length / 2);
    assertThat(JpegIccSegments.strip(cutInProfile)).isSameAs(cutInProfile);
    byte[] cutBeforeScan = Arrays.copyOf(tagged, EncodedFixtures.jpegSofOffset(tagged) + 4);
    assertThat(JpegIccSegments.strip(cutBeforeScan)).isSameAs(cutBeforeScan);
    byte[] badLength = tagged.clone();
    badLength[4] = 0;
    badLength[5] = 1; // a length below 2
    assertThat(JpegIccSegments.strip(badLength)).isSameAs(badLength);
    byte[] noMarker = tagged.clone();
    noMarker[2 + PROFILE.length + 18] = 0x12; // where the next segment's 0xFF should be
    assertThat(JpegIccSegments.strip(noMarker)).isSameAs(noMarker);
    byte[] soiOnly = {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF};
    assertThat(JpegIccSegments.strip(soiOnly)).isSameAs(soiOnly);
  }
}
