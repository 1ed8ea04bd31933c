package io.p9.core.image;

import io.p9.core.image.JpegBitReader.Refused;
import io.p9.core.image.JpegBitReader.Table;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;

/**
 * Rewrites a progressive JPEG as a baseline one with the same quantized DCT coefficients (a lossless transcode, as
 * {@code jpegtran} does), so the JDK's reader decodes it in one pass. For a multi-scan JPEG the JDK's reader runs
 * libjpeg in buffered-image mode and does a whole output pass (IDCT, upsampling, colour conversion, a callback per
 * row) after every input scan: about ten passes, 6 to 11 times the time of the same image stored baseline. From the
 * same coefficients libjpeg computes the same pixels (its final pass of a progressive file whose every coefficient
 * is complete does no block smoothing), so the transcode changes the time, not the result.
 *
 * <p>Strict, as it reads untrusted bytes: anything it does not fully understand, or that libjpeg would warn about
 * or refuse (a bad or missing Huffman table or code, data that ends early or has bytes left over, a restart marker
 * out of sequence, an inconsistent progression, a coefficient a baseline scan cannot hold, coefficients not all
 * complete at the end (libjpeg smooths those blocks), arithmetic coding, 12-bit samples, 2 or 4 components, a DNL
 * marker, a quantization table or an APPn segment after the first scan, an image of more than {@code maxPixels}
 * pixels) gives null, and the caller decodes the original bytes, so errors and their classification stay the
 * reader's. Bytes after EOI are left out, as libjpeg stops at EOI. It copies the header's APPn, COM and DQT segments
 * (those after the frame header too: libjpeg takes a component's table at its first scan) and the frame header
 * (component ids, sampling factors, quantization table numbers) unchanged, as SOF0, or SOF1 where a quantization
 * table has 16-bit precision (which a baseline frame cannot have; libjpeg decodes both alike), and codes the one
 * scan with the luminance Huffman tables of the JPEG standard's Annex K (they code every symbol a baseline scan
 * can hold).
 *
 * <p>Memory: the coefficients, 2 bytes each and at most 4 a pixel (else it refuses), in the Java heap; the JDK's
 * reader allocates the same buffer natively for a progressive file, and none for a baseline one.
 */
final class ProgressiveJpeg {
  /**
   * The most pixels {@link ImageDecoder} transcodes (16.8 M: at most 134 MB of coefficients in the heap); a larger
   * progressive JPEG is decoded as it is, slowly, its coefficients in the JDK reader's native memory as before. Two
   * tasks decoding at once then hold well under the default executor heap of 1 GB.
   */
  static final long MAX_TRANSCODED_PIXELS = 1L << 24;

  private ProgressiveJpeg() {}

  /** Coefficients in a block; kept in zigzag order, the order both scans code them in. */
  private static final int DCT = 64;
  /** libjpeg's limit on the blocks in one MCU of an interleaved scan (D_MAX_BLOCKS_IN_MCU). */
  private static final int MAX_BLOCKS_IN_MCU = 10;
  /** libjpeg's JPEG_MAX_DIMENSION. */
  private static final int MAX_DIMENSION = 65500;

  private static final byte[] DC_BITS = {0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0};
  private static final byte[] DC_VALUES = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
  private static final byte[] AC_BITS = {0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d};
  private static final byte[] AC_VALUES = {
      0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07,
      0x22, 0x71, 0x14, 0x32, (byte) 0x81, (byte) 0x91, (byte) 0xa1, 0x08, 0x23, 0x42, (byte) 0xb1, (byte) 0xc1,
      0x15, 0x52, (byte) 0xd1, (byte) 0xf0, 0x24, 0x33, 0x62, 0x72, (byte) 0x82, 0x09, 0x0a, 0x16, 0x17, 0x18,
      0x19, 0x1a, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45,
      0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67,
      0x68, 0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, (byte) 0x83, (byte) 0x84, (byte) 0x85,
      (byte) 0x86, (byte) 0x87, (byte) 0x88, (byte) 0x89, (byte) 0x8a, (byte) 0x92, (byte) 0x93, (byte) 0x94,
      (byte) 0x95, (byte) 0x96, (byte) 0x97, (byte) 0x98, (byte) 0x99, (byte) 0x9a, (byte) 0xa2, (byte) 0xa3,
      (byte) 0xa4, (byte) 0xa5, (byte) 0xa6, (byte) 0xa7, (byte) 0xa8, (byte) 0xa9, (byte) 0xaa, (byte) 0xb2,
      (byte) 0xb3, (byte) 0xb4, (byte) 0xb5, (byte) 0xb6, (byte) 0xb7, (byte) 0xb8, (byte) 0xb9, (byte) 0xba,
      (byte) 0xc2, (byte) 0xc3, (byte) 0xc4, (byte) 0xc5, (byte) 0xc6, (byte) 0xc7, (byte) 0xc8, (byte) 0xc9,
      (byte) 0xca, (byte) 0xd2, (byte) 0xd3, (byte) 0xd4, (byte) 0xd5, (byte) 0xd6, (byte) 0xd7, (byte) 0xd8,
      (byte) 0xd9, (byte) 0xda, (byte) 0xe1, (byte) 0xe2, (byte) 0xe3, (byte) 0xe4, (byte) 0xe5, (byte) 0xe6,
      (byte) 0xe7, (byte) 0xe8, (byte) 0xe9, (byte) 0xea, (byte) 0xf1, (byte) 0xf2, (byte) 0xf3, (byte) 0xf4,
      (byte) 0xf5, (byte) 0xf6, (byte) 0xf7, (byte) 0xf8, (byte) 0xf9, (byte) 0xfa};
  /** Code and length (code << 8 | length) of each DC category and each AC run/size symbol; 0 where none. */
  private static final int[] DC_CODES = encoderTable(DC_BITS, DC_VALUES);
  private static final int[] AC_CODES = encoderTable(AC_BITS, AC_VALUES);

  /** Whether the frame header (the first SOFn) is a progressive Huffman one (SOF2): one short header walk. */
  static boolean progressive(byte[] jpeg) {
    int[] sof = {0};
    JpegSegments.walk(jpeg, (marker, pos, bytes) -> {
      if (JpegSegments.isStartOfFrame(marker)) {
        sof[0] = marker;
        return false;
      }
      return true;
    });
    return sof[0] == 0xC2;
  }

  /** The baseline JPEG, or null to decode {@code jpeg} as it is; never throws. */
  static byte[] toBaseline(byte[] jpeg, long maxPixels) {
    try {
      return transcode(jpeg, maxPixels);
    } catch (Refused | RuntimeException e) {
      return null; // RuntimeException: a safety net; the checks are meant to refuse everything first
    }
  }

  /** As {@link #toBaseline}, but says why it did not transcode. */
  static byte[] transcode(byte[] jpeg, long maxPixels) throws Refused {
    return new Reader(jpeg, maxPixels).read().write();
  }

  /** One frame component: its header fields and its coefficients, MCU-padded, 64 zigzag-ordered per block. */
  private static final class Component extends JpegComponent {
    int tq; // quantization table number: defined by the component's first scan at the latest
    int stride; // blocks per row of storage, a whole number of MCUs
    short[] coef;
    /** Per coefficient: the Al of the last scan that sent it, -1 before the first (libjpeg's coef_bits). */
    final int[] bits = new int[DCT];
    int dcPred;
  }

  private static final class Frame {
    final byte[] jpeg;
    int sofPos;
    int sofBytes;
    final ByteArrayOutputStream header = new ByteArrayOutputStream();
    int mcusWide;
    int mcusHigh;
    Component[] components;
    /** Whether a quantization table has 16-bit values (precision Pq = 1). */
    boolean sixteenBitTables;

    Frame(byte[] jpeg) {
      this.jpeg = jpeg;
    }

    /** The baseline file: SOI, the header's APPn/COM/DQT, SOF0 (or SOF1), the Annex K tables, one scan, EOI. */
    byte[] write() throws Refused {
      for (Component c : components) {
        c.dcPred = 0;
      }
      Writer out = new Writer((int) Math.min(jpeg.length * 5L / 4 + 1024, Integer.MAX_VALUE - 8)); // grows
      out.bytes(new byte[] {(byte) 0xFF, (byte) 0xD8}, 0, 2);
      byte[] h = header.toByteArray();
      out.bytes(h, 0, h.length);
      out.bytes(jpeg, sofPos, sofBytes);
      out.buf[out.len - sofBytes + 1] = (byte) (sixteenBitTables ? 0xC1 : 0xC0);
      int dht = 2 + 2 * (1 + 16) + DC_VALUES.length + AC_VALUES.length;
      out.bytes(new byte[] {(byte) 0xFF, (byte) 0xC4, (byte) (dht >> 8), (byte) dht, 0x00}, 0, 5);
      out.bytes(DC_BITS, 0, 16);
      out.bytes(DC_VALUES, 0, DC_VALUES.length);
      out.bytes(new byte[] {0x10}, 0, 1);
      out.bytes(AC_BITS, 0, 16);
      out.bytes(AC_VALUES, 0, AC_VALUES.length);
      int n = components.length;
      int sos = 6 + 2 * n;
      byte[] s = new byte[2 + sos];
      s[0] = (byte) 0xFF;
      s[1] = (byte) 0xDA;
      s[3] = (byte) sos;
      s[4] = (byte) n;
      for (int i = 0; i < n; i++) {
        s[5 + 2 * i] = (byte) components[i].id;
      }
      s[5 + 2 * n + 1] = 63;
      out.bytes(s, 0, s.length);
      if (n == 1) {
        Component c = components[0];
        for (int by = 0; by < c.blocksHigh; by++) {
          for (int bx = 0; bx < c.blocksWide; bx++) {
            out.block(c, (by * c.stride + bx) * DCT);
          }
        }
      } else {
        for (int my = 0; my < mcusHigh; my++) {
          for (int mx = 0; mx < mcusWide; mx++) {
            for (Component c : components) {
              for (int y = 0; y < c.v; y++) {
                for (int x = 0; x < c.h; x++) {
                  out.block(c, ((my * c.v + y) * c.stride + mx * c.h + x) * DCT);
                }
              }
            }
          }
        }
      }
      out.flushBits();
      out.bytes(new byte[] {(byte) 0xFF, (byte) 0xD9}, 0, 2);
      return Arrays.copyOf(out.buf, out.len);
    }
  }

  /** Walks the file and entropy-decodes every scan into the frame's coefficients. */
  private static final class Reader {
    private final byte[] jpeg;
    private final long maxPixels;
    private final Frame frame;
    private final Table[][] tables = new Table[2][4];
    private final boolean[] quant = new boolean[4];
    private int restartInterval;
    private boolean scanned;
    private final JpegBitReader in;
    private int eobrun;

    Reader(byte[] jpeg, long maxPixels) {
      this.jpeg = jpeg;
      this.maxPixels = maxPixels;
      this.frame = new Frame(jpeg);
      this.in = new JpegBitReader(jpeg);
    }

    Frame read() throws Refused {
      if (jpeg.length < 4 || (jpeg[0] & 0xFF) != 0xFF || (jpeg[1] & 0xFF) != 0xD8) {
        throw new Refused("no SOI");
      }
      int at = 2;
      while (true) {
        if (at + 2 > jpeg.length || (jpeg[at] & 0xFF) != 0xFF) {
          throw new Refused("no marker at " + at);
        }
        int marker = jpeg[at + 1] & 0xFF;
        if (marker == 0xD9) {
          if (!scanned) {
            throw new Refused("no scan");
          }
          break;
        }
        if (at + 4 > jpeg.length) {
          throw new Refused("segment cut");
        }
        int bytes = 2 + (((jpeg[at + 2] & 0xFF) << 8) | (jpeg[at + 3] & 0xFF));
        if (bytes < 4 || at + bytes > jpeg.length) {
          throw new Refused("segment length");
        }
        if (marker == 0xC4) {
          JpegBitReader.defineTables(jpeg, at, bytes, tables);
        } else if (marker == 0xDD) {
          if (bytes != 6) {
            throw new Refused("DRI length");
          }
          restartInterval = ((jpeg[at + 4] & 0xFF) << 8) | (jpeg[at + 5] & 0xFF);
        } else if (marker == 0xFE || marker >= 0xE0 && marker <= 0xEF) {
          if (!scanned) {
            frame.header.write(jpeg, at, bytes);
          } else if (marker != 0xFE) {
            throw new Refused("APPn between scans");
          }
        } else if (marker == 0xDB && !scanned) {
          defineQuant(at, bytes);
          frame.header.write(jpeg, at, bytes);
        } else if (marker == 0xC2 && frame.components == null) {
          readFrame(at, bytes);
        } else if (marker == 0xDA && frame.components != null) {
          at = scan(at, bytes);
          scanned = true;
          continue;
        } else {
          throw new Refused("marker " + Integer.toHexString(marker));
        }
        at += bytes;
      }
      for (Component c : frame.components) {
        for (int k = 0; k < DCT; k++) {
          if (c.bits[k] != 0) {
            throw new Refused("coefficient " + k + " of component " + c.id + " incomplete");
          }
        }
      }
      return frame;
    }

    private void defineQuant(int at, int bytes) throws Refused {
      int p = at + 4;
      while (p < at + bytes) {
        int pq = (jpeg[p] & 0xFF) >> 4;
        int tq = jpeg[p] & 0x0F;
        int tableBytes = 1 + DCT * (pq + 1);
        if (pq > 1 || tq > 3 || p + tableBytes > at + bytes) {
          throw new Refused("DQT");
        }
        quant[tq] = true;
        frame.sixteenBitTables |= pq == 1;
        p += tableBytes;
      }
    }

    private void readFrame(int at, int bytes) throws Refused {
      int n = bytes >= 10 ? jpeg[at + 9] & 0xFF : 0;
      if ((n != 1 && n != 3) || bytes != 10 + 3 * n || (jpeg[at + 4] & 0xFF) != 8) {
        throw new Refused("frame: not 8-bit, 1 or 3 components");
      }
      int height = ((jpeg[at + 5] & 0xFF) << 8) | (jpeg[at + 6] & 0xFF);
      int width = ((jpeg[at + 7] & 0xFF) << 8) | (jpeg[at + 8] & 0xFF);
      if (width == 0 || height == 0 || width > MAX_DIMENSION || height > MAX_DIMENSION
          || (long) width * height > Math.min(maxPixels, ImageDecoder.MAX_BGR_PIXELS)) {
        throw new Refused("frame size " + width + "x" + height);
      }
      Component[] cs = new Component[n];
      int hmax = 1;
      int vmax = 1;
      for (int i = 0; i < n; i++) {
        Component c = new Component();
        int p = at + 10 + 3 * i;
        c.tq = jpeg[p + 2] & 0xFF;
        if (!c.read(jpeg, p) || c.tq > 3) {
          throw new Refused("frame component");
        }
        for (int j = 0; j < i; j++) {
          if (cs[j].id == c.id) {
            throw new Refused("duplicate component id");
          }
        }
        Arrays.fill(c.bits, -1);
        hmax = Math.max(hmax, c.h);
        vmax = Math.max(vmax, c.v);
        cs[i] = c;
      }
      int blocksInMcu = 0;
      long coefficients = 0;
      int mcusWide = (width + 8 * hmax - 1) / (8 * hmax);
      int mcusHigh = (height + 8 * vmax - 1) / (8 * vmax);
      for (Component c : cs) {
        if (hmax % c.h != 0 || vmax % c.v != 0) {
          throw new Refused("fractional sampling");
        }
        blocksInMcu += c.h * c.v;
        c.size(width, height, hmax, vmax);
        c.stride = mcusWide * c.h;
        coefficients += (long) c.stride * mcusHigh * c.v * DCT;
      }
      // The coefficients of an image are a few times its pixels; the padding of a very thin one can be much more.
      if (n > 1 && blocksInMcu > MAX_BLOCKS_IN_MCU || coefficients > Integer.MAX_VALUE - 8
          || coefficients > 4 * Math.max((long) width * height, 64 * 64)) {
        throw new Refused("MCU of " + blocksInMcu + " blocks, or " + coefficients + " coefficients");
      }
      for (Component c : cs) {
        c.coef = new short[c.stride * mcusHigh * c.v * DCT];
      }
      frame.mcusWide = mcusWide;
      frame.mcusHigh = mcusHigh;
      frame.components = cs;
      frame.sofPos = at;
      frame.sofBytes = bytes;
    }

    /** Decodes the scan whose SOS segment is at {@code at}; returns where the marker after its data starts. */
    private int scan(int at, int bytes) throws Refused {
      int n = bytes > 4 ? jpeg[at + 4] & 0xFF : 0;
      if (n < 1 || n > 4 || bytes != 8 + 2 * n) {
        throw new Refused("SOS");
      }
      Component[] cs = new Component[n];
      Table[] dc = new Table[n];
      Table[] ac = new Table[n];
      int p = at + 5 + 2 * n;
      int ss = jpeg[p] & 0xFF;
      int se = jpeg[p + 1] & 0xFF;
      int ah = (jpeg[p + 2] & 0xFF) >> 4;
      int al = jpeg[p + 2] & 0x0F;
      // libjpeg's checks (jdphuff.c start_pass_phuff_decoder): errors, and "inconsistent progression" warnings
      boolean badBand = ss == 0 ? se != 0 : se < ss || se > 63 || n != 1;
      if (badBand || ah != 0 && al != ah - 1 || al > 13) {
        throw new Refused("progression parameters");
      }
      int blocksInMcu = 0;
      for (int i = 0; i < n; i++) {
        int id = jpeg[at + 5 + 2 * i] & 0xFF;
        for (Component c : frame.components) {
          if (c.id == id) {
            cs[i] = c;
          }
        }
        for (int j = 0; j < i; j++) {
          if (cs[j] == cs[i]) {
            throw new Refused("component twice in a scan");
          }
        }
        if (cs[i] == null || !quant[cs[i].tq]) {
          throw new Refused("scan component " + id + ", or its quantization table");
        }
        blocksInMcu += cs[i].h * cs[i].v;
        int t = jpeg[at + 6 + 2 * i] & 0xFF;
        dc[i] = tables[0][(t >> 4) & 3];
        ac[i] = tables[1][t & 3];
        if ((t >> 4) > 3 || (t & 0x0F) > 3 || ss == 0 && ah == 0 && dc[i] == null || ss > 0 && ac[i] == null) {
          throw new Refused("scan tables");
        }
        int[] b = cs[i].bits;
        if (ss > 0 && b[0] < 0) {
          throw new Refused("AC before DC");
        }
        for (int k = ss; k <= se; k++) {
          if (b[k] != (ah == 0 ? -1 : ah)) {
            throw new Refused("inconsistent progression");
          }
          b[k] = al;
        }
        cs[i].dcPred = 0;
      }
      if (n > 1 && blocksInMcu > MAX_BLOCKS_IN_MCU) {
        throw new Refused("MCU too large");
      }
      in.start(at + bytes);
      eobrun = 0;
      int mcusWide = n == 1 ? cs[0].blocksWide : frame.mcusWide;
      int mcusHigh = n == 1 ? cs[0].blocksHigh : frame.mcusHigh;
      int rst = 0;
      int togo = restartInterval; // MCUs before the next restart marker
      for (int my = 0; my < mcusHigh; my++) {
        for (int mx = 0; mx < mcusWide; mx++) {
          if (restartInterval > 0) {
            if (togo == 0) {
              restart(rst, cs);
              rst = (rst + 1) & 7;
              togo = restartInterval;
            }
            togo--;
          }
          if (n == 1) {
            Component c = cs[0];
            block(c, (my * c.stride + mx) * DCT, dc[0], ac[0], ss, se, ah, al);
            continue;
          }
          for (int i = 0; i < n; i++) {
            Component c = cs[i];
            for (int y = 0; y < c.v; y++) {
              for (int x = 0; x < c.h; x++) {
                block(c, ((my * c.v + y) * c.stride + mx * c.h + x) * DCT, dc[i], ac[i], ss, se, ah, al);
              }
            }
          }
        }
      }
      in.endOfData();
      int marker = jpeg[in.pos() + 1] & 0xFF;
      if (marker >= 0xD0 && marker <= 0xD7) {
        throw new Refused("restart marker after the last MCU");
      }
      return in.pos();
    }

    /** At the end of a restart interval: marker RSTn expected, the predictions and the EOB run start over. */
    private void restart(int rst, Component[] cs) throws Refused {
      in.endOfData();
      if ((jpeg[in.pos() + 1] & 0xFF) != 0xD0 + rst) {
        throw new Refused("restart marker out of sequence");
      }
      in.start(in.pos() + 2);
      eobrun = 0;
      for (Component c : cs) {
        c.dcPred = 0;
      }
    }

    private void block(Component c, int at, Table dc, Table ac, int ss, int se, int ah, int al) throws Refused {
      short[] coef = c.coef;
      if (ss == 0) {
        if (ah == 0) {
          int s = in.decode(dc);
          int diff = s == 0 ? 0 : JpegBitReader.extend(in.bits(s), s);
          c.dcPred += diff;
          int value = c.dcPred << al;
          if (value < -2047 || value > 2047) {
            throw new Refused("DC out of range");
          }
          coef[at] = (short) value;
        } else if (in.bits(1) != 0) {
          coef[at] |= (short) (1 << al);
        }
      } else if (ah == 0) {
        if (eobrun > 0) {
          eobrun--;
          return;
        }
        for (int k = ss; k <= se; k++) {
          int rs = in.decode(ac);
          int r = rs >> 4;
          int s = rs & 15;
          if (s != 0) {
            k += r;
            int value = JpegBitReader.extend(in.bits(s), s) << al;
            if (k > se || value < -1023 || value > 1023) {
              throw new Refused("AC run past the band, or out of range");
            }
            coef[at + k] = (short) value;
          } else if (r == 15) {
            k += 15;
            if (k >= se) {
              throw new Refused("ZRL to the band's end"); // libjpeg ends the block; no encoder writes it
            }
          } else {
            eobrun = (1 << r) - 1 + (r == 0 ? 0 : in.bits(r));
            return;
          }
        }
      } else {
        refineAc(coef, at, ac, ss, se, al);
      }
    }

    /** libjpeg's decode_mcu_AC_refine, step for step, refusing where it would warn or write past the band. */
    private void refineAc(short[] coef, int at, Table ac, int ss, int se, int al) throws Refused {
      int p1 = 1 << al;
      int m1 = -1 << al;
      int k = ss;
      if (eobrun == 0) {
        for (; k <= se; k++) {
          int rs = in.decode(ac);
          int r = rs >> 4;
          int s = rs & 15;
          if (s != 0) {
            if (s != 1) {
              throw new Refused("refinement size " + s);
            }
            s = in.bits(1) != 0 ? p1 : m1;
          } else if (r != 15) {
            eobrun = (1 << r) + (r == 0 ? 0 : in.bits(r));
            break;
          }
          do {
            int i = at + k;
            if (coef[i] != 0) {
              if (in.bits(1) != 0 && (coef[i] & p1) == 0) {
                coef[i] = (short) (coef[i] >= 0 ? coef[i] + p1 : coef[i] + m1);
              }
            } else if (--r < 0) {
              break;
            }
            k++;
          } while (k <= se);
          if (s != 0) {
            if (k > se || s < -1023 || s > 1023) {
              throw new Refused("refinement past the band, or out of range");
            }
            coef[at + k] = (short) s;
          }
        }
      }
      if (eobrun > 0) {
        for (; k <= se; k++) {
          int i = at + k;
          if (coef[i] != 0 && in.bits(1) != 0 && (coef[i] & p1) == 0) {
            coef[i] = (short) (coef[i] >= 0 ? coef[i] + p1 : coef[i] + m1);
          }
        }
        eobrun--;
      }
    }

  }

  /** Baseline entropy coder into a growing byte array. */
  private static final class Writer {
    byte[] buf;
    int len;
    private long acc;
    private int accBits;

    Writer(int capacity) {
      buf = new byte[Math.max(capacity, 1024)];
    }

    void bytes(byte[] b, int from, int n) {
      ensure(n);
      System.arraycopy(b, from, buf, len, n);
      len += n;
    }

    private void ensure(int n) {
      if (len + n > buf.length) {
        buf = Arrays.copyOf(buf, Math.max(len + n, buf.length * 2));
      }
    }

    /** Appends the low {@code n} bits of {@code code} ({@code n} at most 32; nothing above them is set). */
    private void put(long code, int n) {
      acc = (acc << n) | code;
      accBits += n;
      if (accBits >= 32) {
        drain();
      }
    }

    /** Pads the last byte with 1 bits, as the standard asks, and writes out what is left. */
    void flushBits() {
      int pad = (8 - accBits % 8) % 8;
      acc = (acc << pad) | ((1 << pad) - 1);
      accBits += pad;
      drain();
    }

    /** Moves the whole bytes of the bit buffer (under 64 bits: at most 7 bytes, 14 stuffed) to the output. */
    private void drain() {
      ensure(14);
      while (accBits >= 8) {
        accBits -= 8;
        int b = (int) (acc >>> accBits) & 0xFF;
        buf[len++] = (byte) b;
        if (b == 0xFF) {
          buf[len++] = 0;
        }
      }
    }

    /** One block: the DC difference, then the AC run/size symbols, Annex K tables. */
    void block(Component c, int at) throws Refused {
      short[] coef = c.coef;
      int dc = coef[at];
      int diff = dc - c.dcPred;
      c.dcPred = dc;
      int size = size(diff);
      if (size > 11) {
        throw new Refused("DC difference " + diff);
      }
      put(symbol(DC_CODES[size], diff, size), (DC_CODES[size] & 0xFF) + size);
      int run = 0;
      for (int k = 1; k < DCT; k++) {
        int v = coef[at + k];
        if (v == 0) {
          run++;
          continue;
        }
        while (run > 15) {
          put(AC_CODES[0xF0] >>> 8, AC_CODES[0xF0] & 0xFF);
          run -= 16;
        }
        size = size(v);
        if (size > 10) {
          throw new Refused("AC coefficient " + v);
        }
        int code = AC_CODES[run << 4 | size];
        put(symbol(code, v, size), (code & 0xFF) + size);
        run = 0;
      }
      if (run > 0) {
        put(AC_CODES[0] >>> 8, AC_CODES[0] & 0xFF);
      }
    }

    /** A Huffman code (code << 8 | length) followed by the {@code size} low bits of {@code v} (one's complement). */
    private static long symbol(int code, int v, int size) {
      return (long) (code >>> 8) << size | ((v < 0 ? v - 1 : v) & ((1L << size) - 1));
    }

    private static int size(int v) {
      return 32 - Integer.numberOfLeadingZeros(Math.abs(v));
    }
  }

  private static int[] encoderTable(byte[] counts, byte[] values) {
    int[] table = new int[256];
    int code = 0;
    int p = 0;
    for (int len = 1; len <= 16; len++) {
      for (int i = 0; i < counts[len - 1]; i++, p++, code++) {
        table[values[p] & 0xFF] = code << 8 | len;
      }
      code <<= 1;
    }
    return table;
  }
}
