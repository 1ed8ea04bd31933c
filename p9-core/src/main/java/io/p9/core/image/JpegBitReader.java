package io.p9.core.image;

import java.util.Arrays;

/**
 * Reads the entropy-coded data of a Huffman-coded JPEG scan as libjpeg does (stuffed zero bytes dropped, zero bits
 * made up past a marker), but strictly: a bad code, or a code or bits read past the data, is refused rather than
 * decoded. Shared by {@link ProgressiveJpeg}, which decodes progressive scans, and {@link SequentialScans}, which
 * checks sequential ones.
 */
final class JpegBitReader {
  /** Why the data, or a table for it, was refused; without a stack trace, as it is expected on bad files. */
  static final class Refused extends Exception {
    Refused(String why) {
      super(why, null, false, false);
    }
  }

  private final byte[] jpeg;
  private int pos;
  private long buf;
  private int bits;
  private int padded; // zero bits added past the end of the data (libjpeg's "insufficient data")
  private boolean atMarker;

  JpegBitReader(byte[] jpeg) {
    this.jpeg = jpeg;
  }

  /**
   * Reads the Huffman tables of the DHT segment at {@code at} ({@code bytes} long) into {@code tables}, indexed by
   * class (0 DC, 1 AC) and number.
   */
  static void defineTables(byte[] jpeg, int at, int bytes, Table[][] tables) throws Refused {
    int p = at + 4;
    while (p < at + bytes) {
      if (p + 17 > at + bytes) {
        throw new Refused("DHT cut");
      }
      int tc = (jpeg[p] & 0xFF) >> 4;
      int th = jpeg[p] & 0x0F;
      int count = 0;
      for (int i = 1; i <= 16; i++) {
        count += jpeg[p + i] & 0xFF;
      }
      if (tc > 1 || th > 3 || count > 256 || p + 17 + count > at + bytes) {
        throw new Refused("DHT");
      }
      tables[tc][th] = new Table(jpeg, p + 1, p + 17, tc == 0);
      p += 17 + count;
    }
  }

  /** The value of the {@code s} extra bits {@code v} of a coefficient of size category {@code s} (s > 0). */
  static int extend(int v, int s) {
    return v < (1 << (s - 1)) ? v - (1 << s) + 1 : v;
  }

  /** Starts reading entropy-coded data at {@code at}, with an empty bit buffer. */
  void start(int at) {
    pos = at;
    buf = 0;
    bits = 0;
    padded = 0;
    atMarker = false;
  }

  /** Where the next byte not yet in the bit buffer is: at a marker's 0xFF once the data has been read up to it. */
  int pos() {
    return pos;
  }

  /** Adds bytes to the bit buffer up to 57 or more bits; zeros past a marker, counted in {@link #padded}. */
  private void fill() {
    while (bits <= 56) {
      int b = 0;
      if (atMarker || pos >= jpeg.length) {
        padded += 8;
      } else {
        b = jpeg[pos] & 0xFF;
        if (b != 0xFF) {
          pos++;
        } else if (pos + 1 < jpeg.length && jpeg[pos + 1] == 0) {
          pos += 2;
        } else {
          atMarker = true;
          b = 0;
          padded += 8;
        }
      }
      buf = (buf << 8) | b;
      bits += 8;
    }
  }

  /** The next {@code n} bits (1 to 16). */
  int bits(int n) throws Refused {
    if (bits < n) {
      fill();
    }
    bits -= n;
    if (bits < padded) {
      throw new Refused("data ends early");
    }
    return (int) (buf >>> bits) & ((1 << n) - 1);
  }

  /** The symbol of the next Huffman code of table {@code h}. */
  int decode(Table h) throws Refused {
    if (bits < 16) {
      fill();
    }
    int peek = (int) (buf >>> (bits - 16)) & 0xFFFF;
    int e = h.lookup[peek >>> 8];
    int len;
    int symbol;
    if (e != 0) {
      len = e >> 8;
      symbol = e & 0xFF;
    } else {
      len = 9;
      while (len <= 16 && (peek >>> (16 - len)) > h.maxCode[len]) {
        len++;
      }
      if (len > 16) {
        throw new Refused("bad Huffman code");
      }
      symbol = h.values[h.valueIndex[len] + (peek >>> (16 - len))] & 0xFF;
    }
    bits -= len;
    if (bits < padded) {
      throw new Refused("data ends early");
    }
    return symbol;
  }

  /** Whether the bits from here to the next byte boundary are all 1s, the fill that the standard asks for. */
  boolean onesToByteBoundary() {
    int rest = (bits - padded) & 7;
    return ((int) (buf >>> (bits - rest)) & ((1 << rest) - 1)) == (1 << rest) - 1;
  }

  /** Skips to the next byte boundary and reads the byte there (a stuffed 0xFF as 0xFF), or -1 at a marker. */
  int nextByte() {
    bits -= (bits - padded) & 7;
    if (bits - padded < 8) {
      fill();
      if (bits - padded < 8) {
        return -1;
      }
    }
    bits -= 8;
    return (int) (buf >>> bits) & 0xFF;
  }

  /** The entropy-coded data must end exactly here (bar the last byte's padding), at a marker. */
  void endOfData() throws Refused {
    if (bits - padded >= 8 || pos + 1 >= jpeg.length || (jpeg[pos] & 0xFF) != 0xFF) {
      throw new Refused("bytes left over in the scan data");
    }
    int marker = jpeg[pos + 1] & 0xFF;
    if (marker == 0x00 || marker == 0xFF) {
      throw new Refused("bytes left over in the scan data");
    }
  }

  /** A decoding table: an 8-bit lookup for short codes, canonical limits for longer ones (libjpeg's checks). */
  static final class Table {
    final int[] lookup = new int[256];
    final int[] maxCode = new int[18];
    final int[] valueIndex = new int[17];
    final byte[] values;

    Table(byte[] jpeg, int counts, int symbols, boolean dc) throws Refused {
      int total = 0;
      for (int i = 0; i < 16; i++) {
        total += jpeg[counts + i] & 0xFF;
      }
      values = Arrays.copyOfRange(jpeg, symbols, symbols + total);
      if (dc) {
        for (byte b : values) {
          if ((b & 0xFF) > 15) {
            throw new Refused("DC symbol over 15");
          }
        }
      }
      int code = 0;
      int p = 0;
      for (int len = 1; len <= 16; len++) {
        int count = jpeg[counts + len - 1] & 0xFF;
        valueIndex[len] = p - code;
        for (int i = 0; i < count; i++, p++, code++) {
          if (code >= 1 << len) {
            throw new Refused("Huffman table over-subscribed");
          }
          if (len <= 8) {
            int shift = 8 - len;
            for (int j = code << shift; j < (code + 1) << shift; j++) {
              lookup[j] = len << 8 | (values[p] & 0xFF);
            }
          }
        }
        maxCode[len] = count == 0 ? -1 : code - 1;
        if (code >= 1 << len) {
          throw new Refused("Huffman table over-subscribed");
        }
        code <<= 1;
      }
    }
  }
}
