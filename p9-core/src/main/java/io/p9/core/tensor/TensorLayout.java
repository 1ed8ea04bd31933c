package io.p9.core.tensor;

/** Memory layout of a batch of images: channels-first (PyTorch/ONNX zoo) or channels-last (Keras/TF). */
public enum TensorLayout {
  /** Batch, channels, height, width: each channel's plane of pixels after the other's. */
  NCHW,
  /** Batch, height, width, channels: each pixel's channel values side by side. */
  NHWC
}
