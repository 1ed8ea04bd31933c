package io.p9.core.image;

/** A component of a JPEG frame header (SOFn): its id, its sampling factors and the blocks of image data it has. */
class JpegComponent {
  int id;
  int h;
  int v;
  int blocksWide; // blocks with image data (a non-interleaved scan codes these)
  int blocksHigh;

  /** Reads the id and sampling factors from the component's 3 bytes at {@code p}; false unless both are 1 to 4. */
  boolean read(byte[] jpeg, int p) {
    id = jpeg[p] & 0xFF;
    h = (jpeg[p + 1] & 0xFF) >> 4;
    v = jpeg[p + 1] & 0x0F;
    return h >= 1 && h <= 4 && v >= 1 && v <= 4;
  }

  /** Sets the blocks of image data in a frame of {@code width}x{@code height} with these largest factors. */
  void size(int width, int height, int hmax, int vmax) {
    blocksWide = (int) (((long) width * h + 8L * hmax - 1) / (8L * hmax));
    blocksHigh = (int) (((long) height * v + 8L * vmax - 1) / (8L * vmax));
  }
}
