package io.p9.core.image;

/**
 * Where a GIF's first frame lies on the image a viewer shows. A GIF is a logical screen (a canvas size in
 * its header) with each frame at its own position on it; the JDK's reader returns the first frame alone,
 * at the frame's size. Browsers and PIL show the whole screen, grown to hold the frame where it sticks out,
 * with the pixels the frame does not cover transparent.
 *
 * @param width canvas width: the logical screen's, or the frame's right edge if that is further
 * @param height canvas height, likewise
 * @param left the frame's left edge on the canvas
 * @param top the frame's top edge on the canvas
 */
record GifCanvas(int width, int height, int left, int top) {

  /**
   * The canvas of {@code gif}, whose first frame is {@code frameWidth x frameHeight}; the frame alone
   * (at 0, 0) when the header or the first image descriptor cannot be read.
   */
  static GifCanvas of(byte[] gif, int frameWidth, int frameHeight) {
    GifCanvas frameOnly = new GifCanvas(frameWidth, frameHeight, 0, 0);
    if (gif.length < 13) {
      return frameOnly;
    }
    int flags = gif[10] & 0xFF;
    int pos = 13 + ((flags & 0x80) != 0 ? 3 << ((flags & 7) + 1) : 0); // after the global colour table
    while (pos < gif.length && gif[pos] == 0x21) { // extension: introducer, label, sub-blocks, empty block
      pos += 2;
      while (pos < gif.length && gif[pos] != 0) {
        pos += 1 + (gif[pos] & 0xFF);
      }
      pos++;
    }
    if (pos + 5 > gif.length || gif[pos] != 0x2C) {
      return frameOnly;
    }
    int left = u16(gif, pos + 1);
    int top = u16(gif, pos + 3);
    return new GifCanvas(Math.max(u16(gif, 6), left + frameWidth), Math.max(u16(gif, 8), top + frameHeight),
        left, top);
  }

  /** {@code frame} (BGR) on this canvas, the rest filled with {@code background} (0xRRGGBB). */
  PixelImage place(PixelImage frame, int background) {
    if (left == 0 && top == 0 && width == frame.width() && height == frame.height()) {
      return frame;
    }
    byte[] out = new byte[width * height * 3];
    out[0] = (byte) background;
    out[1] = (byte) (background >> 8);
    out[2] = (byte) (background >> 16);
    for (int filled = 3; filled < out.length; filled *= 2) {
      System.arraycopy(out, 0, out, filled, Math.min(filled, out.length - filled));
    }
    int row = frame.width() * 3;
    for (int y = 0; y < frame.height(); y++) {
      System.arraycopy(frame.data(), y * row, out, ((top + y) * width + left) * 3, row);
    }
    return new PixelImage(width, height, 3, out);
  }

  private static int u16(byte[] b, int at) {
    return (b[at] & 0xFF) | (b[at + 1] & 0xFF) << 8;
  }
}
