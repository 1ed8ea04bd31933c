package io.p9.core.image;

/**
 * Whether a JPEG defines the quantization tables its frame uses, before its first scan, and the Huffman tables
 * each scan uses, before that scan (a progressive JPEG defines those of its later scans between the scans). The
 * JDK's JPEG reader keeps the tables of the files it read before (for abbreviated streams), so a file without
 * its own would decode through another file's: {@link ImageDecoder} gives such a file new readers, which refuse
 * it.
 */
final class JpegTables {
  private JpegTables() {}

  /**
   * False when the header cannot be followed to the first scan, the segments between scans cannot be followed
   * to the end of the image, or a table a scan uses is not defined before it.
   */
  static boolean defined(byte[] jpeg) {
    boolean[] quant = new boolean[16];
    boolean[][] huffman = new boolean[2][16];
    int[] frame = {-1}; // position of the SOF segment
    int[] end = {2}; // end of the last segment seen
    JpegSegments.Visitor tables = (marker, pos, bytes) -> {
      end[0] = pos + bytes;
      if (marker == 0xDB) {
        for (int at = pos + 4; at < pos + bytes; at += 1 + (jpeg[at] >> 4 != 0 ? 128 : 64)) {
          quant[jpeg[at] & 0x0F] = true;
        }
      } else if (marker == 0xC4) {
        for (int at = pos + 4; at + 17 <= pos + bytes; ) {
          int codes = 0;
          for (int i = 1; i <= 16; i++) {
            codes += jpeg[at + i] & 0xFF;
          }
          huffman[(jpeg[at] >> 4) & 1][jpeg[at] & 0x0F] = true;
          at += 17 + codes;
        }
      } else if (JpegSegments.isStartOfFrame(marker) && frame[0] < 0) {
        frame[0] = pos;
      }
      return true;
    };
    JpegSegments.End walked = JpegSegments.walk(jpeg, tables);
    if (walked != JpegSegments.End.SCAN || frame[0] < 0) {
      return false;
    }
    int sof = frame[0];
    int components = sof + 9 < jpeg.length ? jpeg[sof + 9] & 0xFF : 0;
    for (int c = 0; c < components; c++) {
      int at = sof + 10 + 3 * c + 2;
      if (at >= end[0] || !quant[jpeg[at] & 0x0F]) {
        return false;
      }
    }
    int marker = jpeg[sof + 1] & 0xFF;
    if (marker >= 0xC9) {
      return true; // arithmetic coding: no Huffman tables
    }
    boolean progressive = marker == 0xC2;
    while (walked == JpegSegments.End.SCAN) {
      int sos = end[0];
      while (sos + 1 < jpeg.length && !(jpeg[sos] == (byte) 0xFF && jpeg[sos + 1] == (byte) 0xDA)) {
        sos++;
      }
      if (!huffmanDefined(jpeg, sos, huffman, progressive)) {
        return false;
      }
      if (!progressive && (jpeg[sos + 4] & 0xFF) >= components) {
        return true; // one sequential scan of every component: libjpeg refuses another scan after it
      }
      end[0] = JpegSegments.afterScan(jpeg, sos);
      walked = JpegSegments.walk(jpeg, end[0], tables);
    }
    return walked == JpegSegments.End.ENDED;
  }

  /** Whether the Huffman tables that the scan whose SOS segment starts at {@code sos} uses are defined. */
  private static boolean huffmanDefined(byte[] jpeg, int sos, boolean[][] huffman, boolean progressive) {
    int count = sos + 4 < jpeg.length ? jpeg[sos + 4] & 0xFF : 0;
    int spectral = sos + 5 + 2 * count;
    if (spectral + 2 >= jpeg.length) {
      return false;
    }
    // Ss = 0: a DC scan, or a sequential one; a progressive DC refinement scan (Ah > 0) reads raw bits
    boolean dc = jpeg[spectral] == 0 && !(progressive && (jpeg[spectral + 2] & 0xF0) != 0);
    boolean ac = (jpeg[spectral + 1] & 0xFF) > 0; // Se > 0
    for (int c = 0; c < count; c++) {
      int tables = jpeg[sos + 6 + 2 * c] & 0xFF;
      if (dc && !huffman[0][tables >> 4] || ac && !huffman[1][tables & 0x0F]) {
        return false;
      }
    }
    return true;
  }
}
