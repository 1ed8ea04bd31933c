package io.p9.core.image;

/**
 * Encoded image formats that {@link ImageDecoder} recognises by their leading bytes ("magic numbers"), not
 * by file name.
 */
public enum ImageFormat {
  /** {@code FF D8 FF}. */
  JPEG("jpeg"),
  /** {@code 89 'P' 'N' 'G' 0D 0A 1A 0A}. */
  PNG("png"),
  /** {@code "GIF87a"} or {@code "GIF89a"}. */
  GIF("gif"),
  /** {@code "BM"} followed by a known DIB header size at offset 14. */
  BMP("bmp"),
  /** {@code "II*\0"}, {@code "MM\0*"} (and BigTIFF {@code "II+\0"}, {@code "MM\0+"}). */
  TIFF("tiff"),
  /** {@code "RIFF" <size> "WEBP"}. */
  WEBP("webp"),
  /**
   * HEIF/HEIC (phone photos): an ISO-BMFF {@code "ftyp"} box whose major brand is {@code heic},
   * {@code heix}, {@code hevc}, {@code hevx}, {@code heim}, {@code heis}, {@code mif1} or {@code msf1}.
   * No ImageIO reader ships with p9: such files are {@link DecodeFailure#UNSUPPORTED_FORMAT}.
   */
  HEIF("heif"),
  /**
   * AVIF: an ISO-BMFF {@code "ftyp"} box whose major brand is {@code avif} or {@code avis}, or
   * {@code mif1}/{@code msf1} with a compatible brand {@code avif}/{@code avis}. No ImageIO reader ships
   * with p9: such files are {@link DecodeFailure#UNSUPPORTED_FORMAT}.
   */
  AVIF("avif"),
  /** None of the above. */
  UNKNOWN(null);

  private final String imageIoName;

  ImageFormat(String imageIoName) {
    this.imageIoName = imageIoName;
  }

  /** {@return the ImageIO format name used to look up a reader; null for {@link #UNKNOWN}} */
  public String imageIoName() {
    return imageIoName;
  }

  /**
   * {@return the format announced by the first bytes of {@code bytes}; {@link #UNKNOWN} for null or empty input}
   *
   * @param bytes an encoded file, or its first bytes
   */
  public static ImageFormat sniff(byte[] bytes) {
    if (bytes == null) {
      return UNKNOWN;
    }
    int n = bytes.length;
    if (n >= 3 && u8(bytes, 0) == 0xFF && u8(bytes, 1) == 0xD8 && u8(bytes, 2) == 0xFF) {
      return JPEG;
    }
    if (n >= 8 && u8(bytes, 0) == 0x89 && ascii(bytes, 1, "PNG") && u8(bytes, 4) == 0x0D
        && u8(bytes, 5) == 0x0A && u8(bytes, 6) == 0x1A && u8(bytes, 7) == 0x0A) {
      return PNG;
    }
    if (n >= 6 && (ascii(bytes, 0, "GIF87a") || ascii(bytes, 0, "GIF89a"))) {
      return GIF;
    }
    if (n >= 4 && (ascii(bytes, 0, "II") && bytes[3] == 0 && (bytes[2] == 42 || bytes[2] == 43)
        || ascii(bytes, 0, "MM") && bytes[2] == 0 && (bytes[3] == 42 || bytes[3] == 43))) {
      return TIFF;
    }
    if (n >= 12 && ascii(bytes, 0, "RIFF") && ascii(bytes, 8, "WEBP")) {
      return WEBP;
    }
    if (n >= 18 && ascii(bytes, 0, "BM") && isDibHeaderSize(le32(bytes, 14))) {
      return BMP;
    }
    if (n >= 12 && ascii(bytes, 4, "ftyp")) {
      return isoBmffImage(bytes);
    }
    return UNKNOWN;
  }

  /** HEIF, AVIF or UNKNOWN (a video, say) from the brands of the {@code ftyp} box at the start. */
  private static ImageFormat isoBmffImage(byte[] b) {
    if (isBrand(b, 8, "avif", "avis")) {
      return AVIF;
    }
    if (isBrand(b, 8, "heic", "heix", "hevc", "hevx", "heim", "heis")) {
      return HEIF;
    }
    if (!isBrand(b, 8, "mif1", "msf1")) {
      return UNKNOWN;
    }
    // Generic image brand: the compatible brands (after the 4-byte minor version) say which codec.
    long boxEnd = Math.min(b.length, be32(b, 0));
    for (int at = 16; at + 4 <= boxEnd; at += 4) {
      if (isBrand(b, at, "avif", "avis")) {
        return AVIF;
      }
    }
    return HEIF;
  }

  private static boolean isBrand(byte[] b, int at, String... brands) {
    for (String brand : brands) {
      if (ascii(b, at, brand)) {
        return true;
      }
    }
    return false;
  }

  /** BITMAPCOREHEADER, OS/2 v2 (16 and 64), BITMAPINFOHEADER and its v2 to v5 successors. */
  private static boolean isDibHeaderSize(long size) {
    return size == 12 || size == 16 || size == 40 || size == 52 || size == 56 || size == 64 || size == 108
        || size == 124;
  }

  private static int u8(byte[] b, int i) {
    return b[i] & 0xFF;
  }

  private static long be32(byte[] b, int i) {
    return (b[i] & 0xFFL) << 24 | (b[i + 1] & 0xFFL) << 16 | (b[i + 2] & 0xFFL) << 8 | (b[i + 3] & 0xFFL);
  }

  private static long le32(byte[] b, int i) {
    return (b[i] & 0xFFL) | (b[i + 1] & 0xFFL) << 8 | (b[i + 2] & 0xFFL) << 16 | (b[i + 3] & 0xFFL) << 24;
  }

  /** Whether {@code b} holds the ASCII characters of {@code s} at {@code at} (which the caller checked fit). */
  static boolean ascii(byte[] b, int at, String s) {
    for (int i = 0; i < s.length(); i++) {
      if (b[at + i] != (byte) s.charAt(i)) {
        return false;
      }
    }
    return true;
  }
}
