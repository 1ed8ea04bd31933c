package io.p9.core.image;

/**
 * Keeps TwelveMonkeys' WebP reader from colour-converting a WebP that embeds an ICC profile. The reader
 * reads the profile (the ICCP chunk) only when the ICC flag of the extended-format header (VP8X) is set,
 * and then converts the decoded pixels from it to sRGB; with the flag clear it skips the ICCP chunk and
 * returns the samples as stored, which is what {@link ImageDecoder} promises (as PIL and OpenCV do, and as
 * {@link JpegIccSegments} does for JPEG).
 */
final class WebpIccFlag {
  /** Offset of the VP8X flags byte: "RIFF", size, "WEBP", "VP8X", chunk size, then the flags. */
  private static final int FLAGS = 20;
  /** The ICC flag: bits from the most significant are 2 reserved, ICC, alpha, EXIF, XMP, animation. */
  private static final int ICC = 0x20;

  private WebpIccFlag() {}

  /** A copy of {@code webp} with the ICC flag cleared, or {@code webp} itself if it has no such flag set. */
  static byte[] clear(byte[] webp) {
    if (webp.length <= FLAGS || (webp[FLAGS] & ICC) == 0 || !ImageFormat.ascii(webp, 12, "VP8X")) {
      return webp;
    }
    byte[] out = webp.clone();
    out[FLAGS] &= (byte) ~ICC;
    return out;
  }
}
