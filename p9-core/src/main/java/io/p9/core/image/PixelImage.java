package io.p9.core.image;

import java.util.Objects;

/**
 * Decoded 8-bit pixels laid out as Spark's {@code ImageSchema} does: rows top to bottom, pixels
 * interleaved, channels in BGR order ({@code channels == 3}), BGRA ({@code 4}) or gray ({@code 1}).
 * {@code data.length == width * height * channels}. The array is not copied.
 *
 * @param width the width in pixels
 * @param height the height in pixels
 * @param channels 1 (gray), 3 (BGR) or 4 (BGRA)
 * @param data the samples, {@code width * height * channels} bytes
 */
public record PixelImage(int width, int height, int channels, byte[] data) {

  /**
   * Checks that the size is positive and that {@code data} holds exactly its samples.
   *
   * @param width the width in pixels
   * @param height the height in pixels
   * @param channels 1 (gray), 3 (BGR) or 4 (BGRA)
   * @param data the samples, {@code width * height * channels} bytes
   * @throws IllegalArgumentException if a size is not positive, {@code channels} is not 1, 3 or 4, or
   *     {@code data} has another length
   * @throws NullPointerException if {@code data} is null
   */
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

  /** {@return the OpenCV type code as used by Spark's ImageSchema: CV_8UC1=0, CV_8UC3=16, CV_8UC4=24} */
  public int openCvMode() {
    return switch (channels) {
      case 1 -> 0;
      case 3 -> 16;
      default -> 24;
    };
  }
}
