package io.p9.core.image;

import java.io.ByteArrayOutputStream;

/**
 * Keeps the JDK's GIF reader to the first image's own LZW data. The reader starts that data by taking 4
 * bytes from its sub-block buffer, however long the first sub-block is; with one of under 4 bytes (legal:
 * an encoder may cut its data anywhere) it decodes what the buffer still holds from the previous file (or a
 * new reader's zeros) into the image, so a valid file comes out wrong and a damaged one differs with the file
 * decoded before it. Such a file's data is repacked into sub-blocks of up to 255 bytes, data under 4 bytes
 * padded with zeros: a complete LZW stream has ended by then, and a stream without an end reads zeros, as a
 * new reader's would.
 */
final class GifDataBlocks {
  /** Bytes the reader takes from the first sub-block before it looks at its length. */
  private static final int PRIMED = 4;

  private GifDataBlocks() {}

  /** {@code gif} itself if its first image's first data sub-block has 4 bytes or more, else a repacked copy. */
  static byte[] repack(byte[] gif) {
    int descriptor = firstImageDescriptor(gif);
    if (descriptor < 0 || descriptor + 10 > gif.length) {
      return gif;
    }
    int local = gif[descriptor + 9] & 0xFF;
    int start = descriptor + 10 + colourTableBytes(local) + 1; // after the LZW minimum code size
    if (start >= gif.length || (gif[start] & 0xFF) >= PRIMED) {
      return gif;
    }
    ByteArrayOutputStream data = new ByteArrayOutputStream();
    int end = start;
    while (end < gif.length && gif[end] != 0) {
      int len = Math.min(gif[end] & 0xFF, gif.length - end - 1);
      data.write(gif, end + 1, len);
      end += 1 + len;
    }
    byte[] d = data.toByteArray();
    ByteArrayOutputStream out = new ByteArrayOutputStream(gif.length + PRIMED);
    out.write(gif, 0, start);
    if (d.length < PRIMED) {
      out.write(PRIMED);
      out.write(d, 0, d.length);
      out.write(new byte[PRIMED - d.length], 0, PRIMED - d.length);
    }
    for (int i = 0; d.length >= PRIMED && i < d.length; i += 255) {
      out.write(Math.min(255, d.length - i));
      out.write(d, i, Math.min(255, d.length - i));
    }
    out.write(gif, Math.min(end, gif.length), gif.length - Math.min(end, gif.length));
    return out.toByteArray();
  }

  /**
   * Where the first image descriptor (0x2C) starts, past the global colour table and any extensions, or -1
   * if the bytes end before one or hold something else there.
   */
  static int firstImageDescriptor(byte[] gif) {
    if (gif.length < 13) {
      return -1;
    }
    int pos = 13 + colourTableBytes(gif[10] & 0xFF);
    while (pos < gif.length && gif[pos] == 0x21) { // extension: introducer, label, sub-blocks, empty block
      pos += 2;
      while (pos < gif.length && gif[pos] != 0) {
        pos += 1 + (gif[pos] & 0xFF);
      }
      pos++;
    }
    return pos < gif.length && gif[pos] == 0x2C ? pos : -1;
  }

  /** The size of the colour table that a screen or image descriptor's packed {@code flags} announce. */
  private static int colourTableBytes(int flags) {
    return (flags & 0x80) != 0 ? 3 << ((flags & 7) + 1) : 0;
  }
}
