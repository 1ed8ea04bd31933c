package io.p9.core.image;

import java.io.Serializable;

/**
 * Limits and conversions applied by {@link ImageDecoder}.
 *
 * @param maxPixels largest {@code width * height} accepted, checked from the header before any pixel is
 *     decoded (default 50,000,000); images of more than 715,827,879 pixels, whose BGR bytes do not fit in
 *     one Java array, are refused whatever it says; so is a TIFF whose raster would take more than 16
 *     bytes (4 samples of 32 bits) for each of maxPixels pixels
 * @param maxBytes largest encoded file accepted (default 256 MiB)
 * @param background RGB (0xRRGGBB) that transparent pixels are composited onto (default white,
 *     0xFFFFFF: Fruits-360 photos have white backgrounds)
 * @param applyExifOrientation rotate/flip according to the EXIF orientation tag (default true)
 * @serial exclude
 */
public record DecodeOptions(long maxPixels, long maxBytes, int background, boolean applyExifOrientation)
    implements Serializable {

  /** The default {@link #maxPixels()}: 50 million pixels. */
  public static final long DEFAULT_MAX_PIXELS = 50_000_000L;
  /** The default {@link #maxBytes()}: 256 MiB. */
  public static final long DEFAULT_MAX_BYTES = 256L << 20;

  /**
   * Checks the limits.
   *
   * @param maxPixels largest {@code width * height} accepted (&gt; 0)
   * @param maxBytes largest encoded file accepted (&gt; 0)
   * @param background RGB (0xRRGGBB) that transparent pixels are composited onto
   * @param applyExifOrientation rotate/flip according to the EXIF orientation tag
   * @throws IllegalArgumentException if {@code maxPixels} or {@code maxBytes} is not positive
   */
  public DecodeOptions {
    if (maxPixels <= 0) throw new IllegalArgumentException("maxPixels must be > 0, was " + maxPixels);
    if (maxBytes <= 0) throw new IllegalArgumentException("maxBytes must be > 0, was " + maxBytes);
  }

  /** {@return the default options: 50,000,000 pixels, 256 MiB, a white background, EXIF orientation applied} */
  public static DecodeOptions defaults() {
    return new DecodeOptions(DEFAULT_MAX_PIXELS, DEFAULT_MAX_BYTES, 0xFFFFFF, true);
  }

  /**
   * {@return these options with another pixel limit}
   *
   * @param v largest {@code width * height} accepted (&gt; 0)
   * @throws IllegalArgumentException if {@code v} is not positive
   */
  public DecodeOptions withMaxPixels(long v) {
    return new DecodeOptions(v, maxBytes, background, applyExifOrientation);
  }

  /**
   * {@return these options with another file size limit}
   *
   * @param v largest encoded file accepted, in bytes (&gt; 0)
   * @throws IllegalArgumentException if {@code v} is not positive
   */
  public DecodeOptions withMaxBytes(long v) {
    return new DecodeOptions(maxPixels, v, background, applyExifOrientation);
  }

  /**
   * {@return these options with another background}
   *
   * @param rgb the colour as 0xRRGGBB; higher bits (an alpha byte) are dropped
   */
  public DecodeOptions withBackground(int rgb) {
    return new DecodeOptions(maxPixels, maxBytes, rgb & 0xFFFFFF, applyExifOrientation);
  }

  /**
   * {@return these options with EXIF orientation applied or not}
   *
   * @param v whether to rotate/flip according to the EXIF orientation tag
   */
  public DecodeOptions withExifOrientation(boolean v) {
    return new DecodeOptions(maxPixels, maxBytes, background, v);
  }
}
