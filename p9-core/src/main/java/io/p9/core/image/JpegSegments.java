package io.p9.core.image;

/**
 * The marker segments of a JPEG's header, from SOI up to the first SOS: the one walk that the header readers
 * ({@link JpegIccSegments}, {@link ExifOrientation}, {@link JpegTables}) share, so they agree on what they can
 * follow. {@link JpegTables} also walks the segments between scans ({@link #afterScan}).
 */
final class JpegSegments {
  private JpegSegments() {}

  /** Where a {@link #walk} ended. */
  enum End {
    /** At the first start-of-scan (SOS): the whole header was walked. */
    SCAN,
    /** The visitor asked to stop. */
    STOPPED,
    /** The bytes, or the image (EOI), end before a scan. */
    ENDED,
    /** A chain this walk cannot follow: no marker where one should be, a second SOI, a bad length. */
    BROKEN
  }

  /** Sees each segment with a length field: its marker, where it starts (at 0xFF) and its bytes in all. */
  interface Visitor {
    /** True to go on to the next segment. */
    boolean segment(int marker, int pos, int bytes);
  }

  /** Walks the header of {@code jpeg}, past SOI, showing {@code visitor} each segment that has a length. */
  static End walk(byte[] jpeg, Visitor visitor) {
    return walk(jpeg, 2, visitor);
  }

  /** As {@link #walk(byte[], Visitor)} from the marker at {@code from}, up to the next SOS. */
  static End walk(byte[] jpeg, int from, Visitor visitor) {
    int pos = from;
    while (true) {
      if (pos + 2 > jpeg.length) {
        return End.ENDED;
      }
      if (jpeg[pos] != (byte) 0xFF) {
        return End.BROKEN;
      }
      int marker = jpeg[pos + 1] & 0xFF;
      if (marker == 0xFF) {
        pos++; // fill byte
        continue;
      }
      if (marker == 0x01 || marker >= 0xD0 && marker <= 0xD7) {
        pos += 2; // stand-alone markers
        continue;
      }
      if (marker == 0xD9) {
        return End.ENDED;
      }
      if (marker == 0x00 || marker == 0xD8) {
        return End.BROKEN;
      }
      if (pos + 4 > jpeg.length) {
        return End.ENDED;
      }
      int len = ((jpeg[pos + 2] & 0xFF) << 8) | (jpeg[pos + 3] & 0xFF);
      if (len < 2) {
        return End.BROKEN;
      }
      if (pos + 2 + len > jpeg.length) {
        return End.ENDED;
      }
      if (marker == 0xDA) {
        return End.SCAN;
      }
      if (!visitor.segment(marker, pos, 2 + len)) {
        return End.STOPPED;
      }
      pos += 2 + len;
    }
  }

  /**
   * Where the scan whose SOS segment starts at {@code sos} ends: the first marker after its entropy-coded data
   * other than a restart marker (RSTn), or the end of the bytes.
   */
  static int afterScan(byte[] jpeg, int sos) {
    int pos = sos + 4 < jpeg.length ? sos + 2 + (((jpeg[sos + 2] & 0xFF) << 8) | (jpeg[sos + 3] & 0xFF)) : sos;
    while (pos + 1 < jpeg.length) {
      if (jpeg[pos] != (byte) 0xFF) {
        pos++;
        continue;
      }
      int marker = jpeg[pos + 1] & 0xFF;
      if (marker != 0x00 && marker != 0xFF && (marker < 0xD0 || marker > 0xD7)) {
        return pos;
      }
      pos += marker == 0xFF ? 1 : 2; // a stuffed zero or a restart marker; 0xFF 0xFF: fill before a marker
    }
    return jpeg.length;
  }

  /** SOF0..SOF15, except DHT (C4), JPG (C8) and DAC (CC), which share the range. */
  static boolean isStartOfFrame(int marker) {
    return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
  }

  /** Whether the segment at {@code pos} ({@code bytes} long) has a payload that starts with {@code header}. */
  static boolean payloadStartsWith(byte[] jpeg, int pos, int bytes, byte[] header) {
    if (bytes < 4 + header.length) {
      return false;
    }
    for (int i = 0; i < header.length; i++) {
      if (jpeg[pos + 4 + i] != header[i]) {
        return false;
      }
    }
    return true;
  }
}
