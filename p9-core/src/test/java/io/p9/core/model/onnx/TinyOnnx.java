package io.p9.core.model.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;

/**
 * Generates a tiny float CNN in memory, the test fixture for the graph edit: input [N,3,H,W] (or NHWC) →
 * Conv 1x1 (3→C) → Relu → GlobalAveragePool → Flatten → Gemm (C→K) → Softmax → output. Its pooled tensor
 * {@code pooled} is what {@code auto} must find; the expected value is computable by hand.
 */
final class TinyOnnx {
  final int channels;
  final int classes;
  final int size;
  final float[] convW;
  final float[] convB;
  final float[] gemmW;
  final float[] gemmB;

  TinyOnnx(int channels, int classes, int size, long seed) {
    this.channels = channels;
    this.classes = classes;
    this.size = size;
    java.util.Random r = new java.util.Random(seed);
    convW = rand(r, channels * 3);
    convB = rand(r, channels);
    gemmW = rand(r, classes * channels);
    gemmB = rand(r, classes);
  }

  private static float[] rand(java.util.Random r, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) r.nextGaussian();
    }
    return a;
  }

  /** The pooled features for one NCHW image, by hand. */
  float[] expectedFeatures(float[] image) {
    int hw = size * size;
    float[] out = new float[channels];
    for (int c = 0; c < channels; c++) {
      double sum = 0;
      for (int p = 0; p < hw; p++) {
        double v = convB[c];
        for (int k = 0; k < 3; k++) {
          v += convW[c * 3 + k] * image[k * hw + p];
        }
        sum += Math.max(0, v);
      }
      out[c] = (float) (sum / hw);
    }
    return out;
  }

  byte[] bytes() {
    GraphProto.Builder g = GraphProto.newBuilder().setName("tiny");
    g.addInput(valueInfo("input", -1, 3, size, size));
    g.addOutput(valueInfo("output", -1, classes));
    g.addInitializer(tensor("conv_w", convW, channels, 3, 1, 1));
    g.addInitializer(tensor("conv_b", convB, channels));
    g.addInitializer(tensor("fc_w", gemmW, classes, channels));
    g.addInitializer(tensor("fc_b", gemmB, classes));
    g.addNode(node("Conv", new String[] {"input", "conv_w", "conv_b"}, "conv"));
    g.addNode(node("Relu", new String[] {"conv"}, "relu"));
    g.addNode(node("GlobalAveragePool", new String[] {"relu"}, "pooled"));
    g.addNode(node("Flatten", new String[] {"pooled"}, "flat")
        .addAttribute(AttributeProto.newBuilder().setName("axis").setI(1).setType(AttributeProto.AttributeType.INT)));
    g.addNode(node("Gemm", new String[] {"flat", "fc_w", "fc_b"}, "logits")
        .addAttribute(AttributeProto.newBuilder().setName("transB").setI(1).setType(AttributeProto.AttributeType.INT)));
    g.addNode(node("Softmax", new String[] {"logits"}, "output"));
    return ModelProto.newBuilder().setIrVersion(7).setProducerName("p9-test")
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(13))
        .setGraph(g).build().toByteArray();
  }

  private static NodeProto.Builder node(String op, String[] in, String out) {
    NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName(out + "_node").addOutput(out);
    for (String i : in) {
      n.addInput(i);
    }
    return n;
  }

  private static TensorProto tensor(String name, float[] data, long... dims) {
    TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE);
    for (long d : dims) {
      t.addDims(d);
    }
    for (float f : data) {
      t.addFloatData(f);
    }
    return t.build();
  }

  private static ValueInfoProto valueInfo(String name, long... dims) {
    TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
    for (long d : dims) {
      s.addDim(d < 0 ? TensorShapeProto.Dimension.newBuilder().setDimParam("N")
          : TensorShapeProto.Dimension.newBuilder().setDimValue(d));
    }
    return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
        .setTensorType(TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE)
            .setShape(s))).build();
  }
}
