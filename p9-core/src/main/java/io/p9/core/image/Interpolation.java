package io.p9.core.image;

/**
 * Resampling filter. Sampling is pixel-centre aligned (half-pixel, like OpenCV {@code INTER_LINEAR},
 * PIL and torchvision); when shrinking, the filter support widens with the scale factor (antialiasing, as
 * PIL does), so a large photo reduced to 224x224 does not alias.
 */
public enum Interpolation {
  /** A box filter: the nearest pixel when enlarging, the mean of the pixels covered when shrinking. */
  NEAREST,
  /** A triangle filter (linear in each axis). */
  BILINEAR,
  /** The Keys cubic with {@code a = -0.5}; its overshoot is clamped to [0, 255] before normalization. */
  BICUBIC
}
