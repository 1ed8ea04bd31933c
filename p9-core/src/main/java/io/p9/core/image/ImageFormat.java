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
  /** None of the above. */
  UNKNOWN(null);

  private final String imageIoName;

  ImageFormat(String imageIoName) {
    this.imageIoName = imageIoName;
  }

  /** The ImageIO format name used to look up a reader; null for {@link #UNKNOWN}. */
  public String imageIoName() {
    return imageIoName;
  }

  /** The format announced by the first bytes of {@code bytes}; {@link #UNKNOWN} for null or empty input. */
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
    return UNKNOWN;
  }

  /** BITMAPCOREHEADER, OS/2 v2 (16 and 64), BITMAPINFOHEADER and its v2 to v5 successors. */
  private static boolean isDibHeaderSize(long size) {
    return size == 12 || size == 16 || size == 40 || size == 52 || size == 56 || size == 64 || size == 108
        || size == 124;
  }

  private static int u8(byte[] b, int i) {
    return b[i] & 0xFF;
  }

  private static long le32(byte[] b, int i) {
    return (b[i] & 0xFFL) | (b[i + 1] & 0xFFL) << 8 | (b[i + 2] & 0xFFL) << 16 | (b[i + 3] & 0xFFL) << 24;
  }

  private static boolean ascii(byte[] b, int at, String s) {
    for (int i = 0; i < s.length(); i++) {
      if (b[at + i] != (byte) s.charAt(i)) {
        return false;
      }
    }
    return true;
  }
}
