package io.p9.core.image;

import java.util.Random;

/** Small pixel-image generators for tests. */
final class TestImages {
  private TestImages() {}

  static PixelImage random(Random rnd, int w, int h, int channels) {
    byte[] data = new byte[w * h * channels];
    rnd.nextBytes(data);
    return new PixelImage(w, h, channels, data);
  }

  static PixelImage constant(int w, int h, int b, int g, int r) {
    byte[] data = new byte[w * h * 3];
    for (int i = 0; i < data.length; i += 3) {
      data[i] = (byte) b;
      data[i + 1] = (byte) g;
      data[i + 2] = (byte) r;
    }
    return new PixelImage(w, h, 3, data);
  }

  /** Sample {@code c} (BGR order) of pixel (x, y) of a 3-channel image, 0..255. */
  static int at(PixelImage img, int x, int y, int c) {
    return img.data()[(y * img.width() + x) * img.channels() + c] & 0xFF;
  }

  /** A spec whose output is the resized BGR samples themselves, interleaved (NHWC, BGR, raw). */
  static PreprocessSpec rawBgr(int h, int w, Interpolation f) {
    return new PreprocessSpec(h, w, ResizeMode.STRETCH, 1f, f, ChannelOrder.BGR,
        io.p9.core.tensor.TensorLayout.NHWC, Normalization.RAW);
  }
}
