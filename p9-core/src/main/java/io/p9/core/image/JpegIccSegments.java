package io.p9.core.image;

/**
 * Removes embedded ICC profiles (APP2 {@code "ICC_PROFILE\0"} segments) from gray and colour JPEGs before
 * they are decoded. Both the JDK's and TwelveMonkeys' JPEG readers colour-convert a JPEG that carries a
 * profile to sRGB, in Java and (on a 100x100 photo) about 70 times slower; without the profile they return
 * the samples as stored, which is what {@link ImageDecoder} promises (as PIL and OpenCV do).
 *
 * <p>Only the header, from SOI up to the first SOS, is walked. Files with no profile, with a frame of
 * other than 1 or 3 components (CMYK and YCCK need their profile for the conversion to RGB), or with a
 * segment chain that cannot be followed (cut or damaged files: the readers then report them as before) are
 * returned as they are, without a copy. Except: a profile whose header announces more bytes than the whole
 * file is dropped from any JPEG, from the segments before a break in the chain too; TwelveMonkeys' reader
 * would allocate what it announces (up to 2 GB) before reading it.
 */
final class JpegIccSegments {
  private static final byte[] ICC_PROFILE = {'I', 'C', 'C', '_', 'P', 'R', 'O', 'F', 'I', 'L', 'E', 0};

  private JpegIccSegments() {}

  /** {@code jpeg} without its ICC profile segments, or {@code jpeg} itself (see the class comment). */
  static byte[] strip(byte[] jpeg) {
    int[] iccBytes = {0};
    int[] components = {-1};
    boolean[] oversized = {false};
    JpegSegments.End end = JpegSegments.walk(jpeg, (marker, pos, bytes) -> {
      if (JpegSegments.isStartOfFrame(marker) && bytes >= 2 + 8) {
        components[0] = jpeg[pos + 9] & 0xFF;
      } else if (isIccSegment(jpeg, marker, pos, bytes)) {
        iccBytes[0] += bytes;
        int size = pos + 4 + ICC_PROFILE.length + 2; // after the chunk's sequence number and count
        oversized[0] |= bytes >= 4 + ICC_PROFILE.length + 2 + 4 && jpeg[pos + 4 + ICC_PROFILE.length] == 1
            && ((jpeg[size] & 0xFFL) << 24 | (jpeg[size + 1] & 0xFF) << 16 | (jpeg[size + 2] & 0xFF) << 8
                | (jpeg[size + 3] & 0xFF)) > jpeg.length;
      }
      return true;
    });
    if (iccBytes[0] == 0 || !oversized[0]
        && (end != JpegSegments.End.SCAN || components[0] != 1 && components[0] != 3)) {
      return jpeg;
    }
    byte[] out = new byte[jpeg.length - iccBytes[0]];
    int[] copied = {0, 0}; // from jpeg, to out
    JpegSegments.walk(jpeg, (marker, pos, bytes) -> {
      if (isIccSegment(jpeg, marker, pos, bytes)) {
        System.arraycopy(jpeg, copied[0], out, copied[1], pos - copied[0]);
        copied[1] += pos - copied[0];
        copied[0] = pos + bytes;
      }
      return true;
    });
    System.arraycopy(jpeg, copied[0], out, copied[1], jpeg.length - copied[0]);
    return out;
  }

  private static boolean isIccSegment(byte[] jpeg, int marker, int pos, int bytes) {
    return marker == 0xE2 && JpegSegments.payloadStartsWith(jpeg, pos, bytes, ICC_PROFILE);
  }
}
