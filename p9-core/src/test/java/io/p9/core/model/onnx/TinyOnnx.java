package io.p9.core.model.onnx;

import static io.p9.core.testing.OnnxGraphs.addClassifierHead;
import static io.p9.core.testing.OnnxGraphs.floats;
import static io.p9.core.testing.OnnxGraphs.model;
import static io.p9.core.testing.OnnxGraphs.node;
import static io.p9.core.testing.OnnxGraphs.valueInfo;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.TensorProto;

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
    int f = TensorProto.DataType.FLOAT_VALUE;
    GraphProto.Builder g = GraphProto.newBuilder().setName("tiny");
    g.addInput(valueInfo("input", f, -1, 3, size, size));
    g.addOutput(valueInfo("output", f, -1, classes));
    g.addInitializer(floats("conv_w", convW, channels, 3, 1, 1));
    g.addInitializer(floats("conv_b", convB, channels));
    g.addInitializer(floats("fc_w", gemmW, classes, channels));
    g.addInitializer(floats("fc_b", gemmB, classes));
    g.addNode(node("Conv", "conv", "input", "conv_w", "conv_b"));
    g.addNode(node("Relu", "relu", "conv"));
    addClassifierHead(g, "relu");
    return model(g);
  }
}
