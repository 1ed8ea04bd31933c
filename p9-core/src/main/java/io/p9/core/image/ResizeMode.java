package io.p9.core.image;

/** How an image of any aspect ratio becomes the model's input size. */
public enum ResizeMode {
  /** Scale each axis independently to the target size (aspect ratio not kept). */
  STRETCH,
  /**
   * Keep the aspect ratio: scale so that each axis covers at least {@code round(target / cropFraction)}
   * pixels of its own target (for a square target: the shorter side becomes {@code target / cropFraction}),
   * then take the centred target-sized window (torchvision {@code Resize(256)} + {@code CenterCrop(224)} is
   * {@code cropFraction = 0.875}).
   */
  CENTER_CROP
}
