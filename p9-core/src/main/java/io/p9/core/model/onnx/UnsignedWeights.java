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
import java.util.HashMap;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Rewrites the int8 weights of a quantized model as uint8, exactly, for x86-64 CPUs whose int8 dot product
 * saturates.
 *
 * <p>A {@code QLinearConv} or {@code QLinearMatMul} with uint8 activations and int8 weights (U8S8, what
 * {@code onnxruntime.quantization} and the ONNX Model Zoo's int8 models use) runs on x86-64 through
 * {@code VPMADDUBSW} unless the CPU has VNNI: that instruction adds two u8 x s8 products into a saturating
 * int16, so a pair above 32,767 is cut. ONNX Runtime's quantization guide names this and suggests U8U8, which
 * does not saturate. Measured on an AVX2 CPU without VNNI (AMD EPYC), a one-node QLinearConv of 64 channels of
 * 255 x 127 gave 94 instead of 187, and the zoo's int8 MobileNetV2 ranked a fruit or vegetable class in the
 * top 5 for 67.5 % of the bundled Fruits-360 photos against 76.7 % after this rewrite. CPUs with
 * {@code avx512_vnni} or {@code avx_vnni} (Intel since Cascade Lake, AMD since Zen 4) compute U8S8 exactly,
 * so features from a cluster of mixed instance types would differ by instance type.
 *
 * <p>The rewrite is exact: each such node's int8 weight initializer {@code w} and its int8 zero point
 * {@code z} become uint8 {@code w + 128} and {@code z + 128}, so every {@code w - z} the kernel multiplies is
 * the same. Only nodes whose activation zero point is a uint8 initializer and whose weight and weight zero
 * point are int8 initializers used by no other node are rewritten (ONNX Runtime has no S8U8 kernel); QDQ models
 * and {@code ConvInteger}/{@code MatMulInteger} are left as they are.
 *
 * <p>{@link #wanted()} decides per JVM, from the CPU it runs on: on an x86-64 Linux CPU without VNNI, or on
 * x86-64 where {@code /proc/cpuinfo} cannot be read; never on other architectures (ARM's dot products do not
 * saturate). The system property {@value #PROPERTY} ({@code auto}, {@code true}, {@code false}) overrides it,
 * e.g. in {@code spark.executor.extraJavaOptions}.
 */
final class UnsignedWeights {
  /** The system property that overrides {@link #wanted()}: {@code auto} (the default), {@code true}, {@code false}. */
  static final String PROPERTY = "p9.onnx.unsignedInt8Weights";

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
   * {@code model} with the int8 weights of its U8S8 {@code QLinearConv} and {@code QLinearMatMul} nodes
   * rewritten as uint8, or null if it has none.
   */
  static byte[] rewrite(byte[] model) {
    ModelProto proto;
    try {
      proto = ModelProto.parseFrom(model);
    } catch (InvalidProtocolBufferException e) {
      return null;
    }
    GraphProto g = proto.getGraph();
    Map<String, Integer> initializers = new HashMap<>();
    for (int i = 0; i < g.getInitializerCount(); i++) {
      initializers.put(g.getInitializer(i).getName(), i);
    }
    Map<String, Integer> uses = new HashMap<>();
    for (NodeProto n : g.getNodeList()) {
      for (String in : n.getInputList()) {
        uses.merge(in, 1, Integer::sum);
      }
    }
    Set<Integer> convert = new HashSet<>();
    for (NodeProto n : g.getNodeList()) {
      boolean op = n.getOpType().equals("QLinearConv") || n.getOpType().equals("QLinearMatMul");
      if (!op || !n.getDomain().isEmpty() || n.getInputCount() < 6) {
        continue;
      }
      Integer xz = initializers.get(n.getInput(2));
      Integer w = initializers.get(n.getInput(3));
      Integer wz = initializers.get(n.getInput(5));
      if (xz != null && w != null && wz != null && type(g, xz) == TensorProto.DataType.UINT8_VALUE
          && type(g, w) == TensorProto.DataType.INT8_VALUE && type(g, wz) == TensorProto.DataType.INT8_VALUE
          && uses.get(n.getInput(3)) == 1 && uses.get(n.getInput(5)) == 1) {
        convert.add(w);
        convert.add(wz);
      }
    }
    if (convert.isEmpty()) {
      return null;
    }
    GraphProto.Builder b = g.toBuilder();
    for (int i : convert) {
      b.setInitializer(i, unsigned(g.getInitializer(i)));
    }
    return proto.toBuilder().setGraph(b).build().toByteArray();
  }

  private static int type(GraphProto g, int initializer) {
    return g.getInitializer(initializer).getDataType();
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
