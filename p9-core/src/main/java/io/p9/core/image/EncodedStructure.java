package io.p9.core.image;

/**
 * Format-level checks on the encoded bytes, used to tell a file that ends early from one that is damaged
 * once a reader has failed on it. A reader's own message for a cut file is often generic ("Image format
 * error", "Invalid chunk length"), but the container says plainly whether its end is missing. Also the TIFF
 * facts a reader drops ({@link #tiffAlphaIsAssociated}, {@link #tiffSamplesAreSigned}).
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
      case TIFF -> tiffIfdBeyondEnd(b);
      default -> false;
    };
  }

  /** A WebP in the simple lossless format: RIFF header, then one VP8L chunk (which ends the file). */
  static boolean webpSimpleLossless(byte[] b) {
    return b.length >= 20 && b[12] == 'V' && b[13] == 'P' && b[14] == '8' && b[15] == 'L';
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

  /**
   * The header points at a first IFD (directory) whose entries the file does not hold in full. libtiff and
   * PIL write the IFD after the pixels, so a cut file of theirs has no IFD, and readers only say that it
   * has no image.
   */
  private static boolean tiffIfdBeyondEnd(byte[] b) {
    boolean little = b[0] == 'I';
    boolean big = (little ? b[2] : b[3]) == 43;
    int offsetBytes = big ? 8 : 4;
    int countBytes = big ? 8 : 2;
    int entryBytes = big ? 20 : 12;
    if (b.length < 4 + 2L * offsetBytes) {
      return true;
    }
    long offset = word(b, big ? 8 : 4, little, big);
    if (offset < 0 || offset + countBytes > b.length) {
      return true;
    }
    int at = (int) offset;
    long entries = big ? word(b, at, little, true) : u16(b, at, little);
    return entries >= 0 && entries < Integer.MAX_VALUE
        && offset + countBytes + entries * entryBytes > b.length;
  }

  /**
   * Whether the first IFD's ExtraSamples tag (338) says that its first extra sample is associated alpha
   * (1: colour samples premultiplied by alpha). TwelveMonkeys' TIFF reader returns such pixels with a
   * straight-alpha colour model. False when there is no such tag or the IFD cannot be followed.
   */
  static boolean tiffAlphaIsAssociated(byte[] b) {
    return tiffFirstValue(b, 338) == 1;
  }

  /**
   * Whether the first IFD's SampleFormat tag (339) says that its samples are signed integers (2, two's
   * complement). TwelveMonkeys' TIFF reader returns signed 16-bit samples as Java's signed TYPE_SHORT, but signed
   * 8- and 32-bit ones as the unsigned TYPE_BYTE and TYPE_INT (the same types as unsigned ones). False when there
   * is no such tag (samples are unsigned then) or the IFD cannot be followed.
   */
  static boolean tiffSamplesAreSigned(byte[] b) {
    return tiffFirstValue(b, 339) == 2;
  }

  /**
   * The first value of the first IFD's entry for {@code tag} if it is of type BYTE or SHORT, else -1 (also when
   * there is no such entry or the IFD cannot be followed).
   */
  private static int tiffFirstValue(byte[] b, int tag) {
    int e = tiffEntry(b, tag);
    if (e < 0) {
      return -1;
    }
    boolean little = b[0] == 'I';
    boolean big = (little ? b[2] : b[3]) == 43;
    int entryBytes = big ? 20 : 12;
    int valueBytes = big ? 8 : 4;
    int type = u16(b, e + 2, little);
    long count = word(b, e + 4, little, big);
    int valueAt = e + entryBytes - valueBytes;
    int size = type == 1 ? 1 : 2; // BYTE or SHORT
    if (count < 1 || (type != 1 && type != 3)) {
      return -1;
    }
    long first = count * size <= valueBytes ? valueAt : word(b, valueAt, little, big);
    if (first < 0 || first + size > b.length) {
      return -1;
    }
    return size == 1 ? b[(int) first] & 0xFF : u16(b, (int) first, little);
  }

  /**
   * The first IFD's SamplesPerPixel (tag 277) as stored, whatever its type, or -1 if there is no such tag
   * or the IFD cannot be followed. The tag is a SHORT; a value above 65535 is damage.
   */
  static long tiffSamplesPerPixel(byte[] b) {
    int e = tiffEntry(b, 277);
    if (e < 0) {
      return -1;
    }
    boolean little = b[0] == 'I';
    boolean big = (little ? b[2] : b[3]) == 43;
    int valueAt = e + (big ? 12 : 8);
    return u16(b, e + 2, little) == 3 ? u16(b, valueAt, little) : word(b, valueAt, little, big);
  }

  /** Where the first IFD's entry for {@code tag} starts, or -1 if there is none or the IFD cannot be followed. */
  private static int tiffEntry(byte[] b, int tag) {
    if (b.length < 16 || tiffIfdBeyondEnd(b)) {
      return -1;
    }
    boolean little = b[0] == 'I';
    boolean big = (little ? b[2] : b[3]) == 43;
    int countBytes = big ? 8 : 2;
    int entryBytes = big ? 20 : 12;
    int at = (int) word(b, big ? 8 : 4, little, big);
    long entries = big ? word(b, at, little, true) : u16(b, at, little);
    if (entries < 0 || at + countBytes + entries * entryBytes > b.length) {
      return -1;
    }
    for (int i = 0; i < entries; i++) {
      int e = at + countBytes + i * entryBytes;
      if (u16(b, e, little) == tag) {
        return e;
      }
    }
    return -1;
  }

  /**
   * A 32-bit BMP with BI_RGB compression and a DIB header of 56 bytes or more, which has colour-mask
   * fields that BI_RGB leaves unused (often zero).
   */
  static boolean bmp32BiRgbWithMaskFields(byte[] b) {
    if (b.length < 34) {
      return false;
    }
    long header = le32(b, 14);
    int bitsPerPixel = (b[28] & 0xFF) | (b[29] & 0xFF) << 8;
    return header >= 56 && bitsPerPixel == 32 && le32(b, 30) == 0;
  }

  /**
   * The colour-table entries that a BMP info header (40 bytes or more) announces in its biClrUsed field when
   * they do not fit in the bytes after the headers, else 0. TwelveMonkeys' reader allocates the table before
   * it reads it.
   */
  static long bmpColourTableBeyondEnd(byte[] b) {
    if (b.length < 50) {
      return 0;
    }
    long header = le32(b, 14);
    long entries = le32(b, 46);
    return header >= 40 && header <= b.length - 14 && entries * 4 > b.length - 14 - header ? entries : 0;
  }

  /** The most bytes deflate (RFC 1951) gives back for one it reads: a 258-byte match in a few bits. */
  static final long DEFLATE_MAX_RATIO = 1032;

  /**
   * The bytes of samples (at least) that a PNG's IHDR announces when its IDAT chunks, the compressed image, hold
   * too few bytes to give them back (over {@link #DEFLATE_MAX_RATIO} to 1, with 4 KB of slack), else 0. The
   * reader allocates the whole image before it inflates a byte. 0 too when the IHDR or the chunk chain cannot be
   * read (the reader then reports those as before).
   */
  static long pngSamplesBeyondData(byte[] b) {
    if (b.length < 33 || b[12] != 'I' || b[13] != 'H' || b[14] != 'D' || b[15] != 'R') {
      return 0;
    }
    int channels = switch (b[25]) {
      case 0, 3 -> 1;
      case 2 -> 3;
      case 4 -> 2;
      case 6 -> 4;
      default -> 0;
    };
    // a lower bound for interlaced images too, whose passes add filter bytes and pad rows
    long samples = be32(b, 16) * be32(b, 20) * channels * (b[24] & 0xFF) / 8;
    long data = pngIdatBytes(b, new boolean[1]);
    return data >= 0 && samples > data * DEFLATE_MAX_RATIO + 4096 ? samples : 0;
  }

  /** A TIFF offset or count: 8 bytes in BigTIFF, else 4. */
  private static long word(byte[] b, int i, boolean little, boolean big) {
    return big ? (little ? le64(b, i) : be64(b, i)) : (little ? le32(b, i) : be32(b, i));
  }

  private static int u16(byte[] b, int i, boolean little) {
    return little ? (b[i] & 0xFF) | (b[i + 1] & 0xFF) << 8 : (b[i] & 0xFF) << 8 | (b[i + 1] & 0xFF);
  }

  /** The chunk chain runs out of bytes before an IEND chunk. */
  private static boolean pngLacksIend(byte[] b) {
    boolean[] iend = {false};
    return pngIdatBytes(b, iend) >= 0 && !iend[0]; // a damaged length is not a short file
  }

  /**
   * Walks a PNG's chunk chain from the signature: the bytes of its IDAT chunks up to IEND (those the file holds),
   * or -1 at a damaged chunk length; {@code iend[0]} tells whether the walk reached IEND.
   */
  private static long pngIdatBytes(byte[] b, boolean[] iend) {
    long data = 0;
    long pos = 8;
    while (pos + 8 <= b.length) {
      int p = (int) pos;
      long len = be32(b, p);
      if (len > Integer.MAX_VALUE) {
        return -1;
      }
      if (b[p + 4] == 'I' && b[p + 5] == 'E' && b[p + 6] == 'N' && b[p + 7] == 'D') {
        iend[0] = true;
        return data;
      }
      if (b[p + 4] == 'I' && b[p + 5] == 'D' && b[p + 6] == 'A' && b[p + 7] == 'T') {
        data += Math.min(len, b.length - p - 8L);
      }
      pos += 12 + len;
    }
    return data;
  }

  private static long le32(byte[] b, int i) {
    return (b[i] & 0xFFL) | (b[i + 1] & 0xFFL) << 8 | (b[i + 2] & 0xFFL) << 16 | (b[i + 3] & 0xFFL) << 24;
  }

  private static long be32(byte[] b, int i) {
    return (b[i] & 0xFFL) << 24 | (b[i + 1] & 0xFFL) << 16 | (b[i + 2] & 0xFFL) << 8 | (b[i + 3] & 0xFFL);
  }

  private static long le64(byte[] b, int i) {
    return le32(b, i) | le32(b, i + 4) << 32;
  }

  private static long be64(byte[] b, int i) {
    return be32(b, i) << 32 | be32(b, i + 4);
  }
}
