package io.p9.core.image;

/** Channel order a model expects. */
public enum ChannelOrder {
  /** Red, green, blue: torchvision and most Keras models. */
  RGB,
  /**
   * Blue, green, red: Caffe-style models such as Keras VGG and ResNet50 ({@link Normalization#CAFFE}); also the
   * order of a decoded {@link PixelImage}.
   */
  BGR
}
