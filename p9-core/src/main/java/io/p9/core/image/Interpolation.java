package io.p9.core.image;

/**
 * Resampling filter. Sampling is pixel-centre aligned (half-pixel, like OpenCV {@code INTER_LINEAR},
 * PIL and torchvision); when shrinking, the filter support widens with the scale factor (antialiasing, as
 * PIL does), so a large photo reduced to 224x224 does not alias.
 */
public enum Interpolation {
  NEAREST,
  BILINEAR,
  BICUBIC
}
