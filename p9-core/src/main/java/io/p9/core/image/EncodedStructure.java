package io.p9.core.image;

/**
 * Format-level checks on the encoded bytes, used to tell a file that ends early from one that is damaged
 * once a reader has failed on it. A reader's own message for a cut file is often generic ("Image format
 * error", "Invalid chunk length"), but the container says plainly whether its end is missing.
 */
final class EncodedStructure {
  private EncodedStructure() {}

  /** Whether the file stops before its format's end marker (or its declared length). */
  static boolean looksTruncated(ImageFormat format, byte[] b) {
    return switch (format) {
      case JPEG -> jpegLacksEoi(b);
      case PNG -> pngLacksIend(b);
      case GIF -> b.length == 0 || b[b.length - 1] != 0x3B;
      case BMP -> b.length >= 6 && le32(b, 2) > b.length;
      case WEBP -> b.length >= 8 && riffLength(b) > b.length;
      default -> false;
    };
  }

  /** The file length a RIFF header (WebP) announces: its size field plus the 8 bytes before it. */
  static long riffLength(byte[] b) {
    return le32(b, 4) + 8;
  }

  /**
   * No EOI marker (FF D9) after the last start-of-scan (FF DA). Neither byte pair can occur inside
   * entropy-coded data (a 0xFF there is always followed by 0x00 or a restart marker), and an embedded
   * thumbnail's EOI comes before the main image's scans.
   */
  private static boolean jpegLacksEoi(byte[] b) {
    int lastSos = -1;
    for (int i = b.length - 2; i >= 0; i--) {
      if (b[i] == (byte) 0xFF && b[i + 1] == (byte) 0xDA) {
        lastSos = i;
        break;
      }
    }
    for (int i = Math.max(lastSos, 0); i + 1 < b.length; i++) {
      if (b[i] == (byte) 0xFF && b[i + 1] == (byte) 0xD9) {
        return false;
      }
    }
    return true;
  }

  /** The chunk chain runs out of bytes before an IEND chunk. */
  private static boolean pngLacksIend(byte[] b) {
    long pos = 8;
    while (pos + 8 <= b.length) {
      int p = (int) pos;
      long len = ((b[p] & 0xFFL) << 24) | ((b[p + 1] & 0xFFL) << 16) | ((b[p + 2] & 0xFFL) << 8)
          | (b[p + 3] & 0xFFL);
      if (len > Integer.MAX_VALUE) {
        return false; // a damaged length, not a short file
      }
      if (b[p + 4] == 'I' && b[p + 5] == 'E' && b[p + 6] == 'N' && b[p + 7] == 'D') {
        return false;
      }
      pos += 12 + len;
    }
    return true;
  }

  private static long le32(byte[] b, int i) {
    return (b[i] & 0xFFL) | (b[i + 1] & 0xFFL) << 8 | (b[i + 2] & 0xFFL) << 16 | (b[i + 3] & 0xFFL) << 24;
  }
}
