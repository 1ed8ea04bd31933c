package io.p9.core.image;

/**
 * Where the first frame of a GIF or an animated WebP lies on the image a viewer shows. Both formats have a
 * canvas (a GIF's logical screen, an animated WebP's VP8X canvas) with each frame at its own position on
 * it; the readers return the first frame alone, at the frame's size. Browsers and PIL show the whole
 * canvas, grown to hold the frame where it sticks out, with the pixels the frame does not cover transparent.
 *
 * @param width canvas width: the header's, or the frame's right edge if that is further
 * @param height canvas height, likewise
 * @param left the frame's left edge on the canvas
 * @param top the frame's top edge on the canvas
 */
record FrameCanvas(int width, int height, int left, int top) {

  /**
   * The canvas of a file whose first frame is {@code frameWidth x frameHeight}: the frame alone (at 0, 0)
   * for a format without one, a WebP that is not animated, or a header this cannot follow.
   */
  static FrameCanvas of(ImageFormat format, byte[] bytes, int frameWidth, int frameHeight) {
    FrameCanvas frameOnly = new FrameCanvas(frameWidth, frameHeight, 0, 0);
    FrameCanvas canvas = switch (format) {
      case GIF -> gif(bytes);
      case WEBP -> animatedWebp(bytes);
      default -> null;
    };
    return canvas == null ? frameOnly : new FrameCanvas(Math.max(canvas.width, canvas.left + frameWidth),
        Math.max(canvas.height, canvas.top + frameHeight), canvas.left, canvas.top);
  }

  /** The logical screen and the first image descriptor's position, or null. */
  private static FrameCanvas gif(byte[] gif) {
    int pos = GifDataBlocks.firstImageDescriptor(gif);
    if (pos < 0 || pos + 5 > gif.length) {
      return null;
    }
    return new FrameCanvas((int) le(gif, 6, 2), (int) le(gif, 8, 2), (int) le(gif, pos + 1, 2),
        (int) le(gif, pos + 3, 2));
  }

  /**
   * An animated WebP's canvas (VP8X, animation flag set) and its first ANMF chunk's position (stored
   * halved), or null.
   */
  private static FrameCanvas animatedWebp(byte[] webp) {
    if (webp.length < 30 || !ImageFormat.ascii(webp, 12, "VP8X") || (webp[20] & 0x02) == 0) {
      return null;
    }
    for (long pos = 30; pos + 14 <= webp.length; pos += 8 + ((le(webp, (int) pos + 4, 4) + 1) & ~1L)) {
      int p = (int) pos;
      if (ImageFormat.ascii(webp, p, "ANMF")) {
        return new FrameCanvas(1 + (int) le(webp, 24, 3), 1 + (int) le(webp, 27, 3), 2 * (int) le(webp, p + 8, 3),
            2 * (int) le(webp, p + 11, 3));
      }
    }
    return null;
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

  /** The {@code bytes}-byte (at most 4) little-endian unsigned integer at {@code at}. */
  private static long le(byte[] b, int at, int bytes) {
    long v = 0;
    for (int i = bytes - 1; i >= 0; i--) {
      v = v << 8 | (b[at + i] & 0xFF);
    }
    return v;
  }
}
