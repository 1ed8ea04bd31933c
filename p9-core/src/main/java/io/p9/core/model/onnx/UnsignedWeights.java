package io.p9.core.model.onnx;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Rewrites the int8 weights of a quantized model as uint8, exactly, for x86-64 CPUs whose int8 dot product
 * saturates.
 *
 * <p>A {@code QLinearConv} or {@code QLinearMatMul} with uint8 activations and int8 weights (U8S8, what the ONNX Model
 * Zoo's int8 models use) runs on x86-64 through {@code VPMADDUBSW} unless the CPU has VNNI: that instruction adds two
 * u8 x s8 products into a saturating int16, so a pair above 32,767 is cut. ONNX Runtime's quantization guide names this
 * and suggests U8U8, which does not saturate. Measured on an AVX2 CPU without VNNI (AMD EPYC), a one-node QLinearConv
 * of 64 channels of 255 x 127 gave 94 instead of 187, and the zoo's int8 MobileNetV2 ranked a fruit or vegetable class
 * in the top 5 for 67.5 % of the bundled Fruits-360 photos against 76.7 % after this rewrite. CPUs with
 * {@code avx512_vnni} or {@code avx_vnni} (Intel since Cascade Lake, AMD since Zen 4) compute U8S8 exactly, so features
 * from a cluster of mixed instance types would differ by instance type.
 *
 * <p>The same holds for the other int8 forms measured here: {@code MatMulInteger} with uint8 activations
 * (dynamic quantization) gave 786,408 instead of 1,554,480 for 48 products of 255 x 127; and QDQ models
 * ({@code DequantizeLinear} of int8 weights into {@code Conv}, {@code MatMul} or {@code Gemm}, what
 * {@code quantize_static} writes by default), which ONNX Runtime fuses into U8S8 kernels on x86-64, with uint8
 * or int8 activations alike (it turns int8 activations into uint8 first), gave 65 instead of 97 for a 1x1
 * convolution over 3 channels of 255 x 127 (output scale 1000). {@code QLinearConv} with int8 activations (S8S8)
 * and {@code ConvInteger} came out exact, and are left as they are.
 *
 * <p>The rewrite is exact: each such int8 weight initializer {@code w} and its int8 zero point {@code z} become
 * uint8 {@code w + 128} and {@code z + 128}, so every {@code w - z} the kernel multiplies, and every value a
 * {@code DequantizeLinear} gives, is the same. A weight without a zero point (an int8 zero) gets a uint8 128 of
 * its scale's shape; a zero point that other inputs share gets a uint8 copy of its own. Only weights that are
 * initializers used by that one node are rewritten, and nothing in a model with subgraphs. After it, ONNX
 * Runtime runs the QDQ and QLinear nodes as U8U8, which does not saturate (a QDQ model's int8 activations
 * through ONNX Runtime's own conversion of them to uint8 on x86-64).
 *
 * <p>ONNX Runtime's session option {@code session.x64quantprecision=1} asks for the same rewrite inside ONNX
 * Runtime, and with 1.28.0 here gave the exact values for the QLinearConv and QDQ models of the tests. But it
 * aborts the whole JVM (a libstdc++ assertion, {@code __n < this->size()}) while opening a {@code MatMulInteger}
 * without {@code b_zero_point}, an input ONNX makes optional, so p9 rewrites the graph itself.
 *
 * <p>{@link #wanted()} decides per JVM, from the CPU it runs on: on an x86-64 Linux CPU without VNNI, or on
 * x86-64 where {@code /proc/cpuinfo} cannot be read; never on other architectures (ARM's dot products do not
 * saturate). The system property {@value #PROPERTY} ({@code auto}, {@code true}, {@code false}) overrides it,
 * e.g. in {@code spark.executor.extraJavaOptions}.
 */
final class UnsignedWeights {
  /** The system property that overrides {@link #wanted()}: {@code auto} (the default), {@code true}, {@code false}. */
  static final String PROPERTY = "p9.onnx.unsignedInt8Weights";

  /** The operators whose weight ONNX Runtime fuses with its QDQ nodes into an int8 kernel. */
  private static final Set<String> PRODUCTS = Set.of("Conv", "MatMul", "Gemm");

  /** Operators whose output 0 has the type of their input 0: they move, drop or copy elements. */
  private static final Set<String> SAME_TYPE = Set.of("Flatten", "Reshape", "Transpose", "Squeeze", "Unsqueeze",
      "Identity", "Slice", "Gather", "Expand", "Tile", "Concat", "DepthToSpace", "SpaceToDepth");

  private static volatile Boolean cpuSaturates;

  private UnsignedWeights() {}

  /** Whether models opened in this JVM get their int8 weights rewritten: {@value #PROPERTY}, else the CPU. */
  static boolean wanted() {
    String p = System.getProperty(PROPERTY, "auto").trim().toLowerCase(Locale.ROOT);
    switch (p) {
      case "true":
        return true;
      case "false":
        return false;
      case "auto":
        break;
      default:
        throw new IllegalArgumentException(PROPERTY + " must be auto, true or false, not '" + p + "'");
    }
    Boolean s = cpuSaturates;
    if (s == null) {
      String cpuinfo;
      try {
        cpuinfo = Files.readString(Path.of("/proc/cpuinfo"));
      } catch (IOException | RuntimeException e) {
        cpuinfo = null;
      }
      s = saturates(System.getProperty("os.arch", ""), cpuinfo);
      cpuSaturates = s;
    }
    return s;
  }

  /**
   * Whether a U8S8 dot product saturates on a CPU of architecture {@code arch} (Java's {@code os.arch}) whose
   * {@code /proc/cpuinfo} is {@code cpuinfo} (null if unreadable): x86-64 without {@code avx512_vnni},
   * {@code avx_vnni} or {@code amx_int8} on its first {@code flags} line; x86-64 with no such line read is
   * taken to saturate (the rewrite is exact, it only costs speed where it was not needed).
   */
  static boolean saturates(String arch, String cpuinfo) {
    if (!"amd64".equals(arch) && !"x86_64".equals(arch)) {
      return false;
    }
    if (cpuinfo == null) {
      return true;
    }
    for (String line : cpuinfo.split("\n")) {
      if (line.startsWith("flags")) {
        Set<String> flags = Set.of(line.substring(line.indexOf(':') + 1).trim().split("\\s+"));
        return !(flags.contains("avx512_vnni") || flags.contains("avx_vnni") || flags.contains("amx_int8"));
      }
    }
    return true;
  }

  /**
   * {@code model} with the int8 weights of its U8S8 {@code QLinearConv}, {@code QLinearMatMul} and
   * {@code MatMulInteger} nodes and of its QDQ weights rewritten as uint8, or null if it has none.
   */
  static byte[] rewrite(byte[] model) {
    ModelProto proto;
    try {
      proto = ModelProto.parseFrom(model);
    } catch (InvalidProtocolBufferException e) {
      return null;
    }
    Graph g = new Graph(proto.getGraph());
    if (g.nested) {
      return null;
    }
    List<Weight> weights = new ArrayList<>();
    for (int i = 0; i < g.proto.getNodeCount(); i++) {
      NodeProto n = g.proto.getNode(i);
      Weight w = n.getDomain().isEmpty() ? weightOf(g, i, n) : null;
      if (w != null && g.isInt8Initializer(w.tensor()) && g.uses(w.tensor()) == 1 && !g.isOutput(w.tensor())
          && (w.zeroPoint() == null || g.isInt8Initializer(w.zeroPoint()))) {
        weights.add(w);
      }
    }
    if (weights.isEmpty()) {
      return null;
    }
    Map<String, Integer> zeroPointUses = new HashMap<>();
    for (Weight w : weights) {
      if (w.zeroPoint() != null) {
        zeroPointUses.merge(w.zeroPoint(), 1, Integer::sum);
      }
    }
    GraphProto.Builder b = g.proto.toBuilder();
    Set<String> done = new HashSet<>();
    for (Weight w : weights) {
      b.setInitializer(g.initializers.get(w.tensor()), unsigned(g.initializer(w.tensor())));
      String z = w.zeroPoint();
      if (z != null && zeroPointUses.get(z) == g.uses(z) && !g.isOutput(z)) {
        // used by rewritten weights only: in place, once
        if (done.add(z)) {
          b.setInitializer(g.initializers.get(z), unsigned(g.initializer(z)));
        }
        continue;
      }
      // a zero point shared with other inputs gets a uint8 copy; none given is an int8 zero, a uint8 128 of
      // the scale's shape (per tensor or per channel)
      String name = g.freshName(w.tensor() + "_p9_uint8_zero_point");
      TensorProto zero = z != null ? unsigned(g.initializer(z)) : zeroPoint128(w.shapeOf() == null ? List.of()
          : g.initializer(w.shapeOf()).getDimsList());
      b.addInitializer(zero.toBuilder().setName(name));
      NodeProto.Builder n = b.getNodeBuilder(w.node());
      while (n.getInputCount() <= w.zeroPointInput()) {
        n.addInput("");
      }
      n.setInput(w.zeroPointInput(), name);
    }
    return proto.toBuilder().setGraph(b).build().toByteArray();
  }

  /**
   * The int8 weight node {@code n} multiplies with uint8 activations, or null: the weight of a
   * {@code QLinearConv}/{@code QLinearMatMul} with a uint8 activation zero point, or of a {@code MatMulInteger}
   * whose activations are uint8; the quantized weight of a {@code DequantizeLinear} whose output is only the
   * weight of {@code Conv}, {@code MatMul} or {@code Gemm} nodes (QDQ: ONNX Runtime fuses these into U8S8 kernels
   * on x86-64, turning int8 activations into uint8 first).
   */
  private static Weight weightOf(Graph g, int i, NodeProto n) {
    switch (n.getOpType()) {
      case "QLinearConv":
      case "QLinearMatMul":
        return n.getInputCount() >= 6 && g.isUint8(n.getInput(2))
            ? new Weight(i, n.getInput(3), n.getInput(5), 5, null) : null;
      case "MatMulInteger":
        return g.isUint8(n.getInput(0)) && n.getInputCount() >= 2
            ? new Weight(i, n.getInput(1), optional(n, 3), 3, null) : null;
      case "DequantizeLinear":
        return g.onlyWeightOfProducts(n.getOutput(0)) && g.initializers.containsKey(n.getInput(1))
            ? new Weight(i, n.getInput(0), optional(n, 2), 2, n.getInput(1)) : null;
      default:
        return null;
    }
  }

  private static String optional(NodeProto n, int input) {
    return n.getInputCount() > input && !n.getInput(input).isEmpty() ? n.getInput(input) : null;
  }

  /**
   * An int8 initializer {@code tensor} that input {@code zeroPointInput} of node {@code node} offsets by
   * {@code zeroPoint} (null: none given, an int8 zero), whose scale {@code shapeOf} (if not null) gives a new zero
   * point's shape.
   */
  private record Weight(int node, String tensor, String zeroPoint, int zeroPointInput, String shapeOf) {}

  /** {@link GraphIndex} with what the rewrite asks of it. */
  private static final class Graph {
    final GraphProto proto;
    final GraphIndex index;
    /** Each initializer's place in the graph's list. */
    final Map<String, Integer> initializers = new HashMap<>();
    /** Names taken, and those {@link #freshName} gave. */
    final Set<String> taken;
    /** Whether a node holds a subgraph, whose uses of this graph's initializers are not counted here. */
    final boolean nested;

    Graph(GraphProto g) {
      proto = g;
      index = new GraphIndex(g);
      for (int i = 0; i < g.getInitializerCount(); i++) {
        initializers.put(g.getInitializer(i).getName(), i);
      }
      taken = index.takenNames();
      nested = g.getNodeList().stream().flatMap(n -> n.getAttributeList().stream())
          .anyMatch(a -> a.hasG() || a.getGraphsCount() > 0);
    }

    /** {@code base}, or {@code base} with a number, whichever names nothing in the graph yet. */
    String freshName(String base) {
      return GraphIndex.fresh(base, taken);
    }

    int uses(String tensor) {
      return index.uses(tensor);
    }

    boolean isOutput(String tensor) {
      return index.graphOutputs.contains(tensor);
    }

    TensorProto initializer(String name) {
      return index.initializers.get(name);
    }

    boolean isInt8Initializer(String name) {
      TensorProto t = initializer(name);
      return t != null && t.getDataType() == TensorProto.DataType.INT8_VALUE;
    }

    /**
     * Whether {@code tensor} is uint8 as p9 can tell without ONNX's type inference: a uint8 initializer, a tensor
     * the graph declares uint8 (an input, output or value_info), the output of {@code DynamicQuantizeLinear} or
     * of a {@code QuantizeLinear} whose zero point is uint8 or absent (uint8 by default; not one that names its
     * {@code output_dtype}), or of a node that only moves a uint8 tensor's elements ({@link #SAME_TYPE}).
     */
    boolean isUint8(String tensor) {
      Integer declared = index.declaredTypes.get(tensor);
      if (declared != null) {
        return declared == TensorProto.DataType.UINT8_VALUE;
      }
      NodeProto p = index.producers.get(tensor);
      if (p == null || !p.getDomain().isEmpty()) {
        return false;
      }
      switch (p.getOpType()) {
        case "DynamicQuantizeLinear":
          return p.getOutput(0).equals(tensor);
        case "QuantizeLinear":
          return p.getAttributeList().stream().noneMatch(a -> a.getName().equals("output_dtype"))
              && (optional(p, 2) == null || isUint8(p.getInput(2)));
        default:
          return SAME_TYPE.contains(p.getOpType()) && p.getOutput(0).equals(tensor) && isUint8(p.getInput(0));
      }
    }

    /** Whether {@code tensor} is used, and only as input 1 (the weight) of Conv, MatMul or Gemm nodes. */
    boolean onlyWeightOfProducts(String tensor) {
      List<NodeProto> us = index.consumers.getOrDefault(tensor, List.of());
      return !us.isEmpty() && !isOutput(tensor) && us.stream().allMatch(n -> n.getDomain().isEmpty()
          && PRODUCTS.contains(n.getOpType()) && n.getInputList().indexOf(tensor) == 1
          && n.getInputList().lastIndexOf(tensor) == 1);
    }
  }

  /** A uint8 tensor of {@code dims}, every element 128. */
  private static TensorProto zeroPoint128(List<Long> dims) {
    long n = 1;
    for (long d : dims) {
      n *= d;
    }
    byte[] v = new byte[Math.toIntExact(n)];
    Arrays.fill(v, (byte) 128);
    return TensorProto.newBuilder().setDataType(TensorProto.DataType.UINT8_VALUE).addAllDims(dims)
        .setRawData(ByteString.copyFrom(v)).build();
  }

  /** The int8 tensor {@code t} (raw or int32 data) as uint8 {@code t + 128}. */
  private static TensorProto unsigned(TensorProto t) {
    byte[] v;
    if (t.getInt32DataCount() == 0) {
      v = t.getRawData().toByteArray();
    } else {
      v = new byte[t.getInt32DataCount()];
      for (int k = 0; k < v.length; k++) {
        v[k] = (byte) t.getInt32Data(k);
      }
    }
    for (int k = 0; k < v.length; k++) {
      v[k] = (byte) (v[k] + 128);
    }
    return t.toBuilder().clearInt32Data().setRawData(ByteString.copyFrom(v))
        .setDataType(TensorProto.DataType.UINT8_VALUE).build();
  }
}
