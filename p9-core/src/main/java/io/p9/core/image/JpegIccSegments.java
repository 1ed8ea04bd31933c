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
 * returned as they are, without a copy.
 */
final class JpegIccSegments {
  private static final byte[] ICC_PROFILE = {'I', 'C', 'C', '_', 'P', 'R', 'O', 'F', 'I', 'L', 'E', 0};

  private JpegIccSegments() {}

  /** {@code jpeg} without its ICC profile segments, or {@code jpeg} itself (see the class comment). */
  static byte[] strip(byte[] jpeg) {
    int iccBytes = 0;
    int components = -1;
    int pos = 2;
    while (true) {
      int seg = segmentLength(jpeg, pos);
      if (seg < 0) {
        return jpeg; // not a segment chain this walk can follow
      }
      int marker = jpeg[pos + 1] & 0xFF;
      if (marker == 0xDA) {
        break;
      }
      if (isStartOfFrame(marker) && seg >= 2 + 8) {
        components = jpeg[pos + 9] & 0xFF;
      } else if (isIccSegment(jpeg, pos, marker, seg)) {
        iccBytes += seg;
      }
      pos += seg;
    }
    if (iccBytes == 0 || components != 1 && components != 3) {
      return jpeg;
    }
    byte[] out = new byte[jpeg.length - iccBytes];
    int from = 0;
    int to = 0;
    pos = 2;
    while (true) {
      int seg = segmentLength(jpeg, pos);
      int marker = jpeg[pos + 1] & 0xFF;
      if (marker == 0xDA) {
        break;
      }
      if (isIccSegment(jpeg, pos, marker, seg)) {
        System.arraycopy(jpeg, from, out, to, pos - from);
        to += pos - from;
        from = pos + seg;
      }
      pos += seg;
    }
    System.arraycopy(jpeg, from, out, to, jpeg.length - from);
    return out;
  }

  /**
   * Bytes from {@code pos} to the next marker: 2 for a stand-alone marker, 1 for a fill byte, 2 + the
   * segment's length field otherwise (for SOS, its header only); -1 if there is no marker at {@code pos}
   * or the segment does not fit in the file.
   */
  private static int segmentLength(byte[] b, int pos) {
    if (pos + 2 > b.length || b[pos] != (byte) 0xFF) {
      return -1;
    }
    int marker = b[pos + 1] & 0xFF;
    if (marker == 0xFF) {
      return 1;
    }
    if (marker == 0x01 || marker >= 0xD0 && marker <= 0xD7) {
      return 2;
    }
    if (marker == 0x00 || marker == 0xD8 || marker == 0xD9 || pos + 4 > b.length) {
      return -1; // no scan before the image ends, or a second SOI: leave the file to the readers
    }
    int len = ((b[pos + 2] & 0xFF) << 8) | (b[pos + 3] & 0xFF);
    if (len < 2 || pos + 2 + len > b.length) {
      return -1;
    }
    return 2 + len;
  }

  /** SOF0..SOF15, except DHT (C4), JPG (C8) and DAC (CC), which share the range. */
  private static boolean isStartOfFrame(int marker) {
    return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
  }

  private static boolean isIccSegment(byte[] b, int pos, int marker, int seg) {
    if (marker != 0xE2 || seg < 4 + ICC_PROFILE.length) {
      return false;
    }
    for (int i = 0; i < ICC_PROFILE.length; i++) {
      if (b[pos + 4 + i] != ICC_PROFILE[i]) {
        return false;
      }
    }
    return true;
  }
}
