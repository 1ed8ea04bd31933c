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
 */
public record DecodeOptions(long maxPixels, long maxBytes, int background, boolean applyExifOrientation)
    implements Serializable {

  public static final long DEFAULT_MAX_PIXELS = 50_000_000L;
  public static final long DEFAULT_MAX_BYTES = 256L << 20;

  public DecodeOptions {
    if (maxPixels <= 0) throw new IllegalArgumentException("maxPixels must be > 0, was " + maxPixels);
    if (maxBytes <= 0) throw new IllegalArgumentException("maxBytes must be > 0, was " + maxBytes);
  }

  public static DecodeOptions defaults() {
    return new DecodeOptions(DEFAULT_MAX_PIXELS, DEFAULT_MAX_BYTES, 0xFFFFFF, true);
  }

  public DecodeOptions withMaxPixels(long v) {
    return new DecodeOptions(v, maxBytes, background, applyExifOrientation);
  }

  public DecodeOptions withMaxBytes(long v) {
    return new DecodeOptions(maxPixels, v, background, applyExifOrientation);
  }

  public DecodeOptions withBackground(int rgb) {
    return new DecodeOptions(maxPixels, maxBytes, rgb & 0xFFFFFF, applyExifOrientation);
  }

  public DecodeOptions withExifOrientation(boolean v) {
    return new DecodeOptions(maxPixels, maxBytes, background, v);
  }
}
