package io.p9.bench;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;

/**
 * Generates an fp32 MobileNetV2 (width 1.0, 224x224, torchvision layout with batch norm folded into the
 * convolutions) with random weights, for speed measurements only: same layers, shapes and FLOPs as the
 * pretrained fp32 model (about 3.5 M parameters, 300 MFLOPs), no pretrained weights (none can be downloaded
 * here). Input {@code input} [N,3,224,224], output {@code output} [N,1000].
 */
final class MobileNetV2Onnx {
  private static final int[][] BLOCKS = {
      // expansion t, output channels c, repeats n, first stride s
      {1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2}, {6, 96, 3, 1}, {6, 160, 3, 2},
      {6, 320, 1, 1}};

  private final GraphProto.Builder g = GraphProto.newBuilder().setName("mobilenetv2_random");
  private final Random rnd;
  private int counter;

  private MobileNetV2Onnx(long seed) {
    rnd = new Random(seed);
  }

  static byte[] generate(long seed) {
    return new MobileNetV2Onnx(seed).build();
  }

  private byte[] build() {
    g.addInput(valueInfo("input", -1, 3, 224, 224));
    g.addOutput(valueInfo("output", -1, 1000));
    g.addInitializer(scalar("relu6_min", 0f));
    g.addInitializer(scalar("relu6_max", 6f));
    String x = conv("input", 3, 32, 3, 2, 1, true);
    int in = 32;
    for (int[] b : BLOCKS) {
      for (int i = 0; i < b[2]; i++) {
        int stride = i == 0 ? b[3] : 1;
        int hidden = in * b[0];
        String h = b[0] == 1 ? x : conv(x, in, hidden, 1, 1, 1, true);
        h = conv(h, hidden, hidden, 3, stride, hidden, true);
        h = conv(h, hidden, b[1], 1, 1, 1, false);
        if (stride == 1 && in == b[1]) {
          String sum = name("add");
          g.addNode(node("Add", sum, x, h));
          h = sum;
        }
        x = h;
        in = b[1];
      }
    }
    x = conv(x, in, 1280, 1, 1, 1, true);
    String pooled = name("pool");
    g.addNode(node("GlobalAveragePool", pooled, x));
    String flat = name("flat");
    g.addNode(node("Flatten", flat, pooled).addAttribute(intAttr("axis", 1)));
    g.addInitializer(weights("fc_w", 1280, new long[] {1000, 1280}));
    g.addInitializer(zeros("fc_b", 1000));
    g.addNode(node("Gemm", "output", flat, "fc_w", "fc_b").addAttribute(intAttr("transB", 1)));
    return ModelProto.newBuilder().setIrVersion(7).setProducerName("p9-bench")
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(13)).setGraph(g).build()
        .toByteArray();
  }

  /** Conv (+ bias, the folded batch norm) and optionally ReLU6; returns the output tensor name. */
  private String conv(String x, int in, int out, int k, int stride, int group, boolean relu6) {
    String w = name("w");
    String b = name("b");
    g.addInitializer(weights(w, (in / group) * k * k, new long[] {out, in / group, k, k}));
    g.addInitializer(zeros(b, out));
    String y = name("conv");
    g.addNode(node("Conv", y, x, w, b)
        .addAttribute(intsAttr("kernel_shape", k, k))
        .addAttribute(intsAttr("strides", stride, stride))
        .addAttribute(intsAttr("pads", k / 2, k / 2, k / 2, k / 2))
        .addAttribute(intAttr("group", group)));
    if (!relu6) {
      return y;
    }
    String r = name("relu6");
    g.addNode(node("Clip", r, y, "relu6_min", "relu6_max"));
    return r;
  }

  private String name(String prefix) {
    return prefix + "_" + (counter++);
  }

  /** He-normal weights scaled down a little so that residual sums stay in range. */
  private TensorProto weights(String name, int fanIn, long[] dims) {
    long n = 1;
    for (long d : dims) {
      n *= d;
    }
    ByteBuffer buf = ByteBuffer.allocate((int) n * 4).order(ByteOrder.LITTLE_ENDIAN);
    double std = Math.sqrt(2.0 / fanIn) * 0.7;
    for (long i = 0; i < n; i++) {
      buf.putFloat((float) (rnd.nextGaussian() * std));
    }
    TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE)
        .setRawData(ByteString.copyFrom(buf.array()));
    for (long d : dims) {
      t.addDims(d);
    }
    return t.build();
  }

  private static TensorProto zeros(String name, int n) {
    return TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE).addDims(n)
        .setRawData(ByteString.copyFrom(new byte[n * 4])).build();
  }

  private static TensorProto scalar(String name, float v) {
    return TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE)
        .addFloatData(v).build();
  }

  private static NodeProto.Builder node(String op, String out, String... in) {
    NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName(out + "_node").addOutput(out);
    for (String i : in) {
      n.addInput(i);
    }
    return n;
  }

  private static AttributeProto intAttr(String name, long v) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(v).build();
  }

  private static AttributeProto intsAttr(String name, long... v) {
    AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
    for (long x : v) {
      a.addInts(x);
    }
    return a.build();
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
