package io.p9.core.image;

import java.util.Objects;

/**
 * Decoded 8-bit pixels laid out as Spark's {@code ImageSchema} does: rows top to bottom, pixels
 * interleaved, channels in BGR order ({@code channels == 3}), BGRA ({@code 4}) or gray ({@code 1}).
 * {@code data.length == width * height * channels}. The array is not copied.
 */
public record PixelImage(int width, int height, int channels, byte[] data) {

  public PixelImage {
    if (width <= 0 || height <= 0) {
      throw new IllegalArgumentException("image size must be positive, was " + width + "x" + height);
    }
    if (channels != 1 && channels != 3 && channels != 4) {
      throw new IllegalArgumentException("channels must be 1, 3 or 4, was " + channels);
    }
    Objects.requireNonNull(data, "data");
    if ((long) width * height * channels != data.length) {
      throw new IllegalArgumentException("data has " + data.length + " bytes, expected "
          + ((long) width * height * channels) + " for " + width + "x" + height + "x" + channels);
    }
  }

  /** OpenCV type code as used by Spark's ImageSchema: CV_8UC1=0, CV_8UC3=16, CV_8UC4=24. */
  public int openCvMode() {
    return switch (channels) {
      case 1 -> 0;
      case 3 -> 16;
      default -> 24;
    };
  }
}
