package io.p9.core.image;

import io.p9.core.image.JpegBitReader.Refused;
import io.p9.core.image.JpegBitReader.Table;

/**
 * A strict check of the scan data of a sequential Huffman-coded JPEG (SOF0 baseline or SOF1 extended, 8-bit
 * samples), for a file that libjpeg decoded with a warning of extraneous bytes before a marker: padding that an
 * encoder left after the scan data, or bytes inserted inside it (libjpeg then decodes the blocks after them wrong,
 * and finishes before the data does). It walks every block's Huffman codes without decoding pixels, honouring
 * restart intervals, and calls the data damaged unless every code is valid and codes what 8-bit samples give (a DC
 * difference of at most 11 bits, a DC coefficient within 11 bits, an AC coefficient of at most 10), no run of zeros
 * or coefficient goes past the block's 64th coefficient, and after the last block of each scan and of each restart
 * interval the bits to the byte boundary are 1s (the standard's fill) and any bytes up to the next marker are
 * padding: 0x00 or 0xFF (a stuffed 0xFF 0x00 counts as one 0xFF). Stray bytes between segments are not judged.
 * A file whose structure it does not follow (another SOFn, 12-bit samples, a table or component missing, a DNL
 * marker) is not judged either: libjpeg's own errors and warnings classify it.
 */
final class SequentialScans {
  private SequentialScans() {}

  /** libjpeg's limit on the blocks in one MCU of an interleaved scan (D_MAX_BLOCKS_IN_MCU). */
  private static final int MAX_BLOCKS_IN_MCU = 10;

  /** What is damaged in the scan data, or null where they decode strictly or the file is not one this judges. */
  static String damage(byte[] jpeg) {
    try {
      return new Walk(jpeg).run();
    } catch (RuntimeException e) {
      return null; // a safety net: the walk is meant to stop at anything it does not follow first
    }
  }

  private static final class Walk {
    private final byte[] jpeg;
    private final JpegBitReader in;
    private final Table[][] tables = new Table[2][4];
    private int restartInterval;
    private JpegComponent[] components;
    private int mcusWide;
    private int mcusHigh;
    private int scans;
    private int mcu; // the MCU being read, from 1
    private int mcus;

    Walk(byte[] jpeg) {
      this.jpeg = jpeg;
      this.in = new JpegBitReader(jpeg);
    }

    String run() {
      int at = 2;
      while (at + 1 < jpeg.length) {
        int marker = jpeg[at + 1] & 0xFF;
        if (jpeg[at] != (byte) 0xFF || marker == 0xFF || marker == 0x00) {
          at++; // stray bytes between segments, or fill: libjpeg skips them
          continue;
        }
        if (marker == 0xD9) {
          return null;
        }
        if (marker == 0x01 || marker >= 0xD0 && marker <= 0xD8) {
          at += 2;
          continue;
        }
        int bytes = at + 4 <= jpeg.length ? 2 + (((jpeg[at + 2] & 0xFF) << 8) | (jpeg[at + 3] & 0xFF)) : 0;
        if (bytes < 4 || at + bytes > jpeg.length || !segment(marker, at, bytes)) {
          return null;
        }
        if (marker == 0xDA) {
          scans++;
          try {
            at = scan(at, bytes);
          } catch (Refused e) {
            return "the scan data do not decode strictly, as after bytes inserted into them: " + e.getMessage()
                + " (scan " + scans + ", MCU " + mcu + " of " + mcus + ")";
          }
          if (at < 0) {
            return null;
          }
        } else {
          at += bytes;
        }
      }
      return null;
    }

    /** Takes in a header segment; false where the file is not one this check follows. */
    private boolean segment(int marker, int at, int bytes) {
      if (marker == 0xC4) {
        try {
          JpegBitReader.defineTables(jpeg, at, bytes, tables);
        } catch (Refused e) {
          return false;
        }
      } else if (marker == 0xDD) {
        if (bytes != 6) {
          return false;
        }
        restartInterval = ((jpeg[at + 4] & 0xFF) << 8) | (jpeg[at + 5] & 0xFF);
      } else if (marker == 0xC0 || marker == 0xC1) {
        return components == null && frame(at, bytes);
      } else if (JpegSegments.isStartOfFrame(marker) || marker == 0xDC) {
        return false;
      } else if (marker == 0xDA) {
        return components != null;
      }
      return true;
    }

    private boolean frame(int at, int bytes) {
      int n = bytes >= 10 ? jpeg[at + 9] & 0xFF : 0;
      if (n < 1 || n > 4 || bytes != 10 + 3 * n || jpeg[at + 4] != 8) {
        return false;
      }
      int height = ((jpeg[at + 5] & 0xFF) << 8) | (jpeg[at + 6] & 0xFF);
      int width = ((jpeg[at + 7] & 0xFF) << 8) | (jpeg[at + 8] & 0xFF);
      if (width == 0 || height == 0) {
        return false;
      }
      JpegComponent[] cs = new JpegComponent[n];
      int hmax = 1;
      int vmax = 1;
      for (int i = 0; i < n; i++) {
        JpegComponent c = new JpegComponent();
        if (!c.read(jpeg, at + 10 + 3 * i)) {
          return false;
        }
        hmax = Math.max(hmax, c.h);
        vmax = Math.max(vmax, c.v);
        cs[i] = c;
      }
      for (JpegComponent c : cs) {
        c.size(width, height, hmax, vmax);
      }
      mcusWide = (width + 8 * hmax - 1) / (8 * hmax);
      mcusHigh = (height + 8 * vmax - 1) / (8 * vmax);
      components = cs;
      return true;
    }

    /**
     * Walks the scan whose SOS segment is at {@code at}; returns where the marker after its data is, or -1 for a
     * scan this check does not follow.
     */
    private int scan(int at, int bytes) throws Refused {
      int n = jpeg[at + 4] & 0xFF;
      if (n < 1 || n > 4 || bytes != 8 + 2 * n) {
        return -1;
      }
      JpegComponent[] cs = new JpegComponent[n];
      Table[] dc = new Table[n];
      Table[] ac = new Table[n];
      int blocksInMcu = 0;
      for (int i = 0; i < n; i++) {
        int id = jpeg[at + 5 + 2 * i] & 0xFF;
        for (JpegComponent c : components) {
          cs[i] = c.id == id ? c : cs[i];
        }
        int t = jpeg[at + 6 + 2 * i] & 0xFF;
        if (cs[i] == null || (t >> 4) > 3 || (t & 0x0F) > 3) {
          return -1;
        }
        dc[i] = tables[0][t >> 4];
        ac[i] = tables[1][t & 0x0F];
        if (dc[i] == null || ac[i] == null) {
          return -1;
        }
        blocksInMcu += cs[i].h * cs[i].v;
      }
      if (n > 1 && blocksInMcu > MAX_BLOCKS_IN_MCU) {
        return -1;
      }
      in.start(at + bytes);
      int wide = n == 1 ? cs[0].blocksWide : mcusWide;
      mcus = wide * (n == 1 ? cs[0].blocksHigh : mcusHigh);
      int[] predictions = new int[n];
      int rst = 0;
      int togo = restartInterval; // MCUs before the next restart marker
      for (mcu = 1; mcu <= mcus; mcu++) {
        if (restartInterval > 0) {
          if (togo == 0) {
            restart(rst);
            rst = (rst + 1) & 7;
            togo = restartInterval;
            predictions = new int[n];
          }
          togo--;
        }
        for (int i = 0; i < n; i++) {
          int blocks = n == 1 ? 1 : cs[i].h * cs[i].v;
          for (int b = 0; b < blocks; b++) {
            predictions[i] = block(dc[i], ac[i], predictions[i]);
          }
        }
      }
      mcu = mcus;
      return endOfData();
    }

    /** Walks one block's codes; returns its DC coefficient, the next block's prediction. */
    private int block(Table dc, Table ac, int prediction) throws Refused {
      int s = in.decode(dc);
      if (s > 11) {
        throw new Refused("a DC difference of " + s + " bits (8-bit samples give at most 11)");
      }
      int value = s == 0 ? prediction : prediction + JpegBitReader.extend(in.bits(s), s);
      if (value < -2047 || value > 2047) {
        throw new Refused("a DC coefficient of " + value + " (8-bit samples give at most 11 bits)");
      }
      for (int k = 1; k < 64; k++) {
        int rs = in.decode(ac);
        int r = rs >> 4;
        s = rs & 15;
        if (s == 0 && r != 15) {
          break; // end of block
        }
        k += s == 0 ? 15 : r;
        if (k > 63) {
          throw new Refused("a run of zeros past the block's 64th coefficient");
        }
        if (s > 10) {
          throw new Refused("an AC coefficient of " + s + " bits (8-bit samples give at most 10)");
        }
        if (s > 0) {
          in.bits(s);
        }
      }
      return value;
    }

    /** At the end of a restart interval: the data's end ({@link #endOfData}), then marker RSTn. */
    private void restart(int rst) throws Refused {
      int p = endOfData();
      while (p + 1 < jpeg.length && jpeg[p + 1] == (byte) 0xFF) {
        p++; // fill before the marker
      }
      if (p + 1 >= jpeg.length || (jpeg[p + 1] & 0xFF) != 0xD0 + rst) {
        throw new Refused("no restart marker RST" + rst + " where one is due");
      }
      in.start(p + 2);
    }

    /**
     * After the last MCU of a scan or of a restart interval: 1s up to the byte boundary, then only padding up to the
     * next marker, whose place it returns.
     */
    private int endOfData() throws Refused {
      if (!in.onesToByteBoundary()) {
        throw new Refused("bits after the data that are not 1s up to the byte boundary");
      }
      int count = 0;
      int other = 0;
      for (int b = in.nextByte(); b >= 0; b = in.nextByte()) {
        count++;
        other += b == 0 || b == 0xFF ? 0 : 1;
      }
      if (other > 0) {
        throw new Refused(count + " bytes after the data, " + other + " of them neither 0x00 nor 0xFF padding");
      }
      return in.pos();
    }
  }
}
