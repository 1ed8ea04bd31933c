package io.p9.core.image;

import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.WritableRaster;

/**
 * The transparent gray level of a 2- or 4-bit gray PNG. A gray PNG's tRNS chunk names one gray level as
 * fully transparent at any bit depth. The JDK's reader returns such a PNG as 8-bit gray + alpha, its levels
 * scaled to 0..255 (4-bit level 8 is 136), but keys the alpha on the unscaled level, so only level 0 ever
 * became transparent; at 1, 8 and 16 bits it is right.
 */
final class PngGrayTransparency {
  private static final int IHDR_DEPTH = 24;
  private static final int IHDR_COLOUR_TYPE = 25;

  private PngGrayTransparency() {}

  /**
   * Makes the pixels of {@code png}'s tRNS gray level transparent in {@code image} (in place) when
   * {@code png} is gray below 8 bits with a tRNS chunk and the reader gave 8-bit gray + alpha; returns
   * {@code image}.
   */
  static BufferedImage apply(byte[] png, BufferedImage image) {
    ColorModel cm = image.getColorModel();
    WritableRaster raster = image.getRaster();
    if (png.length <= IHDR_COLOUR_TYPE || png[IHDR_COLOUR_TYPE] != 0 || png[IHDR_DEPTH] >= 8
        || !cm.hasAlpha() || cm.getNumColorComponents() != 1 || raster.getNumBands() != 2
        || cm.getComponentSize(0) != 8) {
      return image;
    }
    int max = (1 << png[IHDR_DEPTH]) - 1;
    int level = transparentLevel(png);
    if (level < 0 || level > max) {
      return image;
    }
    int key = level * 255 / max;
    int w = raster.getWidth();
    int[] row = new int[2 * w];
    for (int y = raster.getMinY(); y < raster.getMinY() + raster.getHeight(); y++) {
      raster.getPixels(raster.getMinX(), y, w, 1, row);
      for (int i = 0; i < row.length; i += 2) {
        if (row[i] == key) {
          row[i + 1] = 0;
        }
      }
      raster.setPixels(raster.getMinX(), y, w, 1, row);
    }
    return image;
  }

  /** The gray level of the tRNS chunk before the first IDAT, or -1 if there is none. */
  private static int transparentLevel(byte[] png) {
    long pos = 8;
    while (pos + 10 <= png.length) {
      int p = (int) pos;
      long len = (png[p] & 0xFFL) << 24 | (png[p + 1] & 0xFFL) << 16 | (png[p + 2] & 0xFFL) << 8 | png[p + 3] & 0xFFL;
      if (ImageFormat.ascii(png, p + 4, "IDAT")) {
        return -1;
      }
      if (ImageFormat.ascii(png, p + 4, "tRNS") && len >= 2) {
        return (png[p + 8] & 0xFF) << 8 | png[p + 9] & 0xFF;
      }
      pos += 12 + len;
    }
    return -1;
  }
}
