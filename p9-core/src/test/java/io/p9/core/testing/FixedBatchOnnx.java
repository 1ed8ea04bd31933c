package io.p9.core.testing;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.InvalidProtocolBufferException;

/**
 * Turns an ONNX model with a dynamic batch into the same model with a fixed one, as a PyTorch export without
 * {@code dynamic_axes} gives: axis 0 of the (single) graph input becomes {@code batch}. Nothing else is
 * touched; ONNX Runtime infers the rest of the shapes from the input.
 */
public final class FixedBatchOnnx {
  private FixedBatchOnnx() {}

  /** {@code model} with its input's first dimension set to {@code batch}. */
  public static byte[] fixBatch(byte[] model, long batch) {
    ModelProto m;
    try {
      m = ModelProto.parseFrom(model);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("not an ONNX model", e);
    }
    GraphProto.Builder g = m.getGraph().toBuilder();
    java.util.Set<String> initializers = new java.util.HashSet<>();
    g.getInitializerList().forEach(t -> initializers.add(t.getName()));
    int fixed = 0;
    for (int i = 0; i < g.getInputCount(); i++) {
      ValueInfoProto in = g.getInput(i);
      if (initializers.contains(in.getName())) {
        continue; // older exports list the weights as inputs too
      }
      ValueInfoProto.Builder b = in.toBuilder();
      b.getTypeBuilder().getTensorTypeBuilder().getShapeBuilder()
          .setDim(0, TensorShapeProto.Dimension.newBuilder().setDimValue(batch));
      g.setInput(i, b);
      fixed++;
    }
    if (fixed != 1) {
      throw new IllegalArgumentException("expected one image input, found " + fixed);
    }
    return m.toBuilder().setGraph(g).build().toByteArray();
  }
}
