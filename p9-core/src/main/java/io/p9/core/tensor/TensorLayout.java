package io.p9.core.tensor;

/** Memory layout of a batch of images: channels-first (PyTorch/ONNX zoo) or channels-last (Keras/TF). */
public enum TensorLayout {
  NCHW,
  NHWC
}
