package io.p9.core.testing;

import ai.onnx.proto.OnnxMl.TensorShapeProto;

/**
 * Turns an ONNX model with a dynamic batch into the same model with a fixed one, as a PyTorch export without
 * {@code dynamic_axes} gives: axis 0 of the (single) graph input becomes {@code batch}. Nothing else is
 * touched; ONNX Runtime infers the rest of the shapes from the input.
 */
public final class FixedBatchOnnx {
  private FixedBatchOnnx() {}

  /** {@code model} with its input's first dimension set to {@code batch}. */
  public static byte[] fixBatch(byte[] model, long batch) {
    return OnnxGraphs.withImageInput(model, s -> s.setDim(0, TensorShapeProto.Dimension.newBuilder()
        .setDimValue(batch)));
  }
}
