package io.p9.core.model.onnx;

import static io.p9.core.model.onnx.GraphIndex.fresh;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.InvalidProtocolBufferException;
import io.p9.core.model.ModelException;
import io.p9.core.model.ModelOptions;
import io.p9.core.tensor.TensorLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The in-memory ONNX graph edit that makes an inner tensor (the CNN's feature vector) the graph's only
 * output. ONNX Runtime can fetch graph outputs only; pretrained classifiers do not output their penultimate
 * tensor. The edit:
 *
 * <ol>
 *   <li>resolves the tensor: a name, or {@code auto} = the activation feeding the final classifier
 *       (walking back from the graph output through softmax/bias/dequantize/reshape to the Gemm, MatMul,
 *       QLinearMatMul or Conv classifier, then back through reshape/flatten to the pooled tensor). A
 *       headless model (a feature extractor without a classifier, e.g. Keras
 *       {@code MobileNetV2(include_top=False, pooling='avg')}) whose output comes, through
 *       reshape/flatten/squeeze/dequantize only, from a global pooling ({@code GlobalAveragePool},
 *       {@code GlobalMaxPool}, {@code QLinearGlobalAveragePool}, or {@code ReduceMean}/{@code ReduceMax}
 *       over axes {2,3} or {1,2}) resolves to that pooled tensor. Any other ending is refused: name the
 *       tensor. (A classifier that is a 1x1 convolution before the pooling, as in SqueezeNet, is not told
 *       apart from a feature extractor: there auto gives the pooled class scores.)
 *   <li>if the tensor is quantized (produced by a QLinear* or QuantizeLinear op, as in the int8
 *       MobileNetV2 where the pooled tensor is uint8 with a scale and zero point), appends a
 *       {@code DequantizeLinear} with the producer's output scale and zero point;
 *   <li>if the tensor is of another floating or integer type (as in a model converted to float16 inside
 *       with float32 input and output), appends a {@code Cast} to float;
 *   <li>if the model takes channels-last images ([N, H, W, 3], a Keras or TensorFlow model converted by
 *       tf2onnx) and the tensor is a channels-first map (ONNX's convolutions and poolings make [N, C, H, W]:
 *       tf2onnx transposes the input for them), appends a {@code Transpose} to [N, H, W, C], so the map is
 *       flattened in h, w, c order, as the original model's {@code Flatten} and the DL4J backend on its
 *       {@code .h5} do. The map's layout is traced back to the input through the graph's convolutions,
 *       poolings, transposes and element-wise ops; a pooled tensor ([N, C, 1, 1] or [N, C]), a tensor whose
 *       layout the trace cannot tell, and any tensor of a channels-first model (PyTorch) are flattened as
 *       they are;
 *   <li>appends {@code Flatten(axis=1)}, so the output is {@code [N, features]} float;
 *   <li>replaces the graph outputs by that one, so ONNX Runtime prunes the classifier.
 * </ol>
 *
 * <p>If the tensor already is a graph output of float or unknown type (e.g. {@code output}, the logits), the
 * model is left unchanged.
 */
public final class FeatureTensorEdit {

  /** Name of the output p9 adds ({@code p9_features_1}, ... if the model already has that name). */
  public static final String OUTPUT = "p9_features";

  private static final Set<String> TAIL_PASS = Set.of("Identity", "Softmax", "LogSoftmax", "Sigmoid",
      "DequantizeLinear", "QuantizeLinear", "Reshape", "Flatten", "Squeeze", "Cast", "Dropout");
  private static final Set<String> BIAS_ADD = Set.of("Add", "QLinearAdd");
  private static final Set<String> CLASSIFIERS = Set.of("Gemm", "MatMul", "QLinearMatMul", "MatMulInteger",
      "FusedMatMul", "QGemm", "Conv", "QLinearConv");
  private static final Set<String> FEATURE_PASS = Set.of("Identity", "Reshape", "Flatten", "Squeeze",
      "Dropout", "DequantizeLinear", "QuantizeLinear");
  /** Ops that pool a feature map to one value per channel (the end of a headless model). */
  private static final Set<String> GLOBAL_POOLS = Set.of("GlobalAveragePool", "GlobalMaxPool",
      "QLinearGlobalAveragePool");
  /** Reductions that are a global pooling when their axes are the spatial ones ({2,3} NCHW, {1,2} NHWC). */
  private static final Set<String> SPATIAL_REDUCES = Set.of("ReduceMean", "ReduceMax");
  /** Ops that make a channels-first map ([N, C, H, W]) whatever the layout of the model's input. */
  private static final Set<String> CHANNELS_FIRST_OPS = Set.of("Conv", "ConvInteger", "QLinearConv",
      "ConvTranspose", "MaxPool", "AveragePool", "QLinearAveragePool", "LpPool", "BatchNormalization",
      "InstanceNormalization", "LRN", "DepthToSpace", "SpaceToDepth");
  /** Ops whose output has the layout of their first input that is not a constant. */
  private static final Set<String> LAYOUT_PRESERVING = Set.of("Identity", "Dropout", "Cast", "Relu", "Clip",
      "LeakyRelu", "PRelu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Elu", "Selu", "Softplus", "Mish", "Gelu",
      "Add", "Sub", "Mul", "Div", "Max", "Min", "Sum", "Pad", "Resize", "Upsample", "Concat", "QuantizeLinear",
      "DequantizeLinear", "QLinearAdd", "QLinearMul", "QLinearSigmoid", "QLinearLeakyRelu", "QLinearConcat");
  /** Ops whose output keeps the quantization of input 0. */
  private static final Set<String> QUANT_PRESERVING = Set.of("Reshape", "Flatten", "Squeeze", "Unsqueeze",
      "Transpose", "MaxPool", "Identity");
  /** Producer op → (index of its output scale input, index of its output zero-point input). */
  private static final Map<String, int[]> QUANT_OUTPUT_PARAMS = Map.ofEntries(
      Map.entry("QuantizeLinear", new int[] {1, 2}),
      Map.entry("QLinearConv", new int[] {6, 7}),
      Map.entry("QLinearMatMul", new int[] {6, 7}),
      Map.entry("QLinearAdd", new int[] {6, 7}),
      Map.entry("QLinearMul", new int[] {6, 7}),
      Map.entry("QGemm", new int[] {7, 8}),
      Map.entry("QLinearGlobalAveragePool", new int[] {3, 4}),
      Map.entry("QLinearAveragePool", new int[] {3, 4}),
      Map.entry("QLinearSigmoid", new int[] {3, 4}),
      Map.entry("QLinearLeakyRelu", new int[] {3, 4}),
      Map.entry("QLinearSoftmax", new int[] {3, 4}),
      Map.entry("QLinearConcat", new int[] {0, 1}));

  /**
   * The outcome of an edit.
   *
   * @param model the (possibly) edited model bytes
   * @param outputName the graph output to fetch
   * @param sourceTensor the tensor the features come from
   * @param quantized whether that tensor was quantized and is dequantized by the edit
   * @param scale its quantization scale (NaN if not quantized or not a constant)
   * @param zeroPoint its zero point (0 if not quantized)
   * @param edited false when the model was returned unchanged
   */
  public record Result(byte[] model, String outputName, String sourceTensor, boolean quantized,
      float scale, int zeroPoint, boolean edited) {}

  private final GraphProto graph;
  private final GraphIndex index;
  private final Map<String, NodeProto> producers;
  private final Map<String, List<NodeProto>> consumers;
  private final Map<String, TensorProto> initializers;
  /** The image input (the first graph input that is no initializer) and its layout, null if not 4-d with 3 channels. */
  private String imageInput;
  private TensorLayout imageLayout;
  /** Element types the file declares: graph inputs, outputs, value_info, initializers. */
  private final Map<String, Integer> declaredTypes;

  private FeatureTensorEdit(GraphProto graph) {
    this.graph = graph;
    this.index = new GraphIndex(graph);
    this.producers = index.producers;
    this.consumers = index.consumers;
    this.initializers = index.initializers;
    for (ValueInfoProto v : graph.getInputList()) {
      if (imageInput == null && !initializers.containsKey(v.getName())) {
        imageInput = v.getName();
        imageLayout = layoutOfImage(v);
      }
    }
    this.declaredTypes = index.declaredTypes;
  }

  /** NCHW if axis 1 of the 4-d input {@code v} is 3, else NHWC if axis 3 is (as {@code OnnxFeatureModel}), or null. */
  private static TensorLayout layoutOfImage(ValueInfoProto v) {
    List<TensorShapeProto.Dimension> dims = v.getType().getTensorType().getShape().getDimList();
    if (dims.size() != 4) {
      return null;
    }
    if (dims.get(1).hasDimValue() && dims.get(1).getDimValue() == 3) {
      return TensorLayout.NCHW;
    }
    return dims.get(3).hasDimValue() && dims.get(3).getDimValue() == 3 ? TensorLayout.NHWC : null;
  }

  /**
   * The layout of the 4-d map {@code tensor}, traced back towards the image input: a convolution, pooling or
   * normalization ({@link #CHANNELS_FIRST_OPS}) makes NCHW, a {@code Transpose} permutes the layout of its
   * input, the image input has its own, activations and arithmetic ({@link #LAYOUT_PRESERVING}) keep that of
   * their first input that is not a constant. Null where the trace ends anywhere else: a global pooling, a
   * reshape, an op not listed, a permutation that gives neither layout. Then the tensor is flattened as stored.
   */
  private TensorLayout mapLayout(String tensor) {
    // axis i of the tensor is axis perm[i] of the tensor the trace has reached
    int[] perm = {0, 1, 2, 3};
    String t = tensor;
    for (int guard = 0; guard < 100_000; guard++) {
      String source = null;
      NodeProto p = producers.get(t);
      if (t.equals(imageInput) && imageLayout != null) {
        source = imageLayout.name();
      } else if (p != null && CHANNELS_FIRST_OPS.contains(p.getOpType())) {
        source = TensorLayout.NCHW.name();
      }
      if (source != null) {
        StringBuilder layout = new StringBuilder();
        for (int axis : perm) {
          layout.append(source.charAt(axis));
        }
        return layout.toString().equals("NCHW") ? TensorLayout.NCHW
            : layout.toString().equals("NHWC") ? TensorLayout.NHWC : null;
      }
      if (p == null) {
        return null;
      }
      if (p.getOpType().equals("Transpose")) {
        List<Long> order = p.getAttributeList().stream().filter(a -> a.getName().equals("perm"))
            .map(AttributeProto::getIntsList).findFirst().orElse(List.of());
        if (order.size() != 4) {
          return null;
        }
        for (int i = 0; i < 4; i++) {
          perm[i] = order.get(perm[i]).intValue();
        }
        t = p.getInput(0);
      } else if (LAYOUT_PRESERVING.contains(p.getOpType())) {
        t = p.getInputList().stream().filter(in -> !in.isEmpty() && !isConstant(in)).findFirst().orElse(null);
        if (t == null) {
          return null;
        }
      } else {
        return null;
      }
    }
    return null;
  }

  private boolean isConstant(String tensor) {
    NodeProto p = producers.get(tensor);
    return initializers.containsKey(tensor) || (p != null && p.getOpType().equals("Constant"));
  }

  /**
   * The element type of {@code tensor} ({@link TensorProto.DataType} value), or {@code UNDEFINED} if unknown:
   * declared in the file, else the {@code to} of the {@code Cast} that makes it, float after a
   * {@code DequantizeLinear}, else that of the producer's first input (the ops of a CNN keep their input's
   * type). Only used to decide whether the features need a cast to float, which is harmless if not needed.
   */
  private int elemType(String tensor) {
    String t = tensor;
    for (int guard = 0; guard < 100_000; guard++) {
      Integer declared = declaredTypes.get(t);
      if (declared != null) {
        return declared;
      }
      NodeProto p = producers.get(t);
      if (p == null || p.getInputCount() == 0) {
        break;
      }
      if (p.getOpType().equals("Cast")) {
        for (AttributeProto a : p.getAttributeList()) {
          if (a.getName().equals("to")) {
            return (int) a.getI();
          }
        }
        break;
      }
      if (p.getOpType().equals("DequantizeLinear")) {
        return TensorProto.DataType.FLOAT_VALUE;
      }
      t = p.getInput(0);
    }
    return TensorProto.DataType.UNDEFINED_VALUE;
  }

  /**
   * Parses {@code model} and exposes {@code featureTensor} as the graph's only output, as the class comment
   * describes.
   *
   * @param model the bytes of an ONNX (protobuf) model
   * @param featureTensor {@code auto} or the name of a tensor of the graph
   * @return the edited model (or {@code model} unchanged) and the output to fetch
   * @throws ModelException if {@code model} is an ONNX Runtime ({@code .ort}) model, not an ONNX model, has no
   *     graph or keeps tensor data in external files, if {@code auto} cannot resolve a tensor, or if the graph
   *     has no tensor of that name
   */
  public static Result expose(byte[] model, String featureTensor) {
    if (isOrtFormat(model)) {
      throw new ModelException("an ONNX Runtime format (.ort) model, not an ONNX (protobuf) model: p9 edits"
          + " the ONNX graph to make the feature tensor its output, which an .ort file does not allow; give p9"
          + " the .onnx model it was converted from");
    }
    ModelProto proto;
    try {
      proto = ModelProto.parseFrom(model);
    } catch (InvalidProtocolBufferException e) {
      throw new ModelException("not an ONNX model (protobuf parse failed): " + e.getMessage(), e);
    }
    if (!proto.hasGraph()) {
      throw new ModelException("ONNX model has no graph");
    }
    refuseExternalData(proto.getGraph());
    FeatureTensorEdit edit = new FeatureTensorEdit(proto.getGraph());
    String tensor = ModelOptions.AUTO.equals(featureTensor) ? edit.autoFeatureTensor() : featureTensor;
    return edit.apply(proto, tensor);
  }

  /**
   * Refuses a model that keeps tensor data in files of its own ({@code onnx.save_model(...,
   * save_as_external_data=True)}, or an export over 2 GB). p9 opens a model from its bytes, which it hashes,
   * broadcasts and saves with the stage; ONNX Runtime would look for such a file in the working directory
   * of each JVM instead of next to the model.
   */
  private static void refuseExternalData(GraphProto graph) {
    List<TensorProto> tensors = new ArrayList<>(graph.getInitializerList());
    for (NodeProto n : graph.getNodeList()) {
      for (AttributeProto a : n.getAttributeList()) {
        if (a.hasT()) {
          tensors.add(a.getT());
        }
      }
    }
    List<TensorProto> external = tensors.stream()
        .filter(t -> t.getDataLocation() == TensorProto.DataLocation.EXTERNAL).toList();
    if (external.isEmpty()) {
      return;
    }
    TensorProto t = external.get(0);
    String location = t.getExternalDataList().stream().filter(e -> e.getKey().equals("location"))
        .map(e -> e.getValue()).findFirst().orElse("?");
    throw new ModelException("ONNX model keeps the data of " + external.size() + " tensor(s) outside the model"
        + " file, e.g. tensor '" + t.getName() + "' in external file '" + location + "': p9 reads a model as one"
        + " file, the one it hashes, sends to the executors and saves with the stage. Save the model"
        + " as one file: onnx.save_model(onnx.load('model.onnx'), 'single.onnx', save_as_external_data=False)"
        + " (possible below 2 GB)");
  }

  /** Whether {@code model} is ONNX Runtime's flatbuffers format: file identifier {@code ORTM} at byte 4. */
  private static boolean isOrtFormat(byte[] model) {
    return model.length >= 8 && model[4] == 'O' && model[5] == 'R' && model[6] == 'T' && model[7] == 'M';
  }

  /**
   * {@return the tensor {@code auto} resolves to in {@code model}}
   *
   * @param model the bytes of an ONNX (protobuf) model
   * @throws ModelException if {@code model} is not an ONNX model, or {@code auto} cannot resolve a tensor in it
   */
  public static String autoFeatureTensor(byte[] model) {
    try {
      return new FeatureTensorEdit(ModelProto.parseFrom(model).getGraph()).autoFeatureTensor();
    } catch (InvalidProtocolBufferException e) {
      throw new ModelException("not an ONNX model (protobuf parse failed): " + e.getMessage(), e);
    }
  }

  private String autoFeatureTensor() {
    if (graph.getOutputCount() == 0) {
      throw new ModelException("ONNX graph has no outputs");
    }
    String t = graph.getOutput(0).getName();
    List<String> walked = new ArrayList<>();
    NodeProto classifier = null;
    for (int guard = 0; guard < 64 && classifier == null; guard++) {
      NodeProto p = producers.get(t);
      if (p == null) {
        break;
      }
      walked.add(p.getOpType());
      if (CLASSIFIERS.contains(p.getOpType())) {
        classifier = p;
      } else if (TAIL_PASS.contains(p.getOpType()) || isBiasAdd(p)) {
        t = dataInput(p);
      } else {
        break;
      }
    }
    if (classifier == null) {
      String pooled = headlessPooledTensor();
      if (pooled != null) {
        return pooled;
      }
      throw new ModelException("featureTensor=auto found no classifier (Gemm/MatMul/Conv) at the end of "
          + "the graph (walked back from '" + graph.getOutput(0).getName() + "' through " + walked
          + ") and the output is not a global pooling (a headless model ending in GlobalAveragePool, "
          + "GlobalMaxPool, QLinearGlobalAveragePool or a spatial ReduceMean/ReduceMax, possibly followed by "
          + "Flatten/Reshape/Squeeze/DequantizeLinear, is accepted); name the feature tensor explicitly. "
          + "Last nodes: " + lastNodes(8));
    }
    t = classifier.getInput(0);
    for (int guard = 0; guard < 64; guard++) {
      NodeProto p = producers.get(t);
      if (p == null || !FEATURE_PASS.contains(p.getOpType())) {
        break;
      }
      t = p.getInput(0);
    }
    return t;
  }

  /**
   * For a headless model (a feature extractor without a classifier): the output of the global pooling the
   * graph output comes from through {@link #FEATURE_PASS} ops only, or null if it does not end in one.
   */
  private String headlessPooledTensor() {
    String t = graph.getOutput(0).getName();
    for (int guard = 0; guard < 64; guard++) {
      NodeProto p = producers.get(t);
      if (p == null) {
        return null;
      }
      if (isGlobalPooling(p)) {
        return p.getOutput(0);
      }
      if (!FEATURE_PASS.contains(p.getOpType())) {
        return null;
      }
      t = p.getInput(0);
    }
    return null;
  }

  private boolean isGlobalPooling(NodeProto n) {
    if (GLOBAL_POOLS.contains(n.getOpType())) {
      return true;
    }
    if (!SPATIAL_REDUCES.contains(n.getOpType())) {
      return false;
    }
    List<Long> axes = null;
    for (AttributeProto a : n.getAttributeList()) {
      if (a.getName().equals("axes")) {
        axes = a.getIntsList();
      }
    }
    if (axes == null && n.getInputCount() > 1) {
      axes = constantInt64s(n.getInput(1));
    }
    if (axes == null) {
      return false; // no axes: reduces every axis, not a pooling over the feature map
    }
    Set<Long> normalized = new HashSet<>();
    for (long a : axes) {
      normalized.add(a < 0 ? a + 4 : a); // a CNN feature map has rank 4
    }
    return normalized.equals(Set.of(2L, 3L)) || normalized.equals(Set.of(1L, 2L));
  }

  /**
   * The values of a constant int64 tensor: an initializer, or the output of a {@code Constant} node (as
   * torch.onnx gives small constants); null if {@code name} is neither.
   */
  private List<Long> constantInt64s(String name) {
    if (initializers.containsKey(name)) {
      return int64s(initializers.get(name));
    }
    NodeProto p = producers.get(name);
    if (p != null && p.getOpType().equals("Constant")) {
      for (AttributeProto a : p.getAttributeList()) {
        if (a.getName().equals("value")) {
          return int64s(a.getT());
        }
        if (a.getName().equals("value_ints")) {
          return a.getIntsList();
        }
      }
    }
    return null;
  }

  private static List<Long> int64s(TensorProto t) {
    if (t.getInt64DataCount() > 0) {
      return t.getInt64DataList();
    }
    List<Long> out = new ArrayList<>();
    ByteBuffer b = ByteBuffer.wrap(t.getRawData().toByteArray()).order(ByteOrder.LITTLE_ENDIAN);
    while (b.remaining() >= Long.BYTES) {
      out.add(b.getLong());
    }
    return out;
  }

  /**
   * An add of a constant (initializer) to a tensor, the constant on either side: Keras and tf2onnx put the
   * bias second, torch.onnx puts it first when it exports a Linear as MatMul then Add.
   */
  private boolean isBiasAdd(NodeProto n) {
    if (!BIAS_ADD.contains(n.getOpType())) {
      return false;
    }
    int otherIndex = secondOperand(n);
    return n.getInputCount() > otherIndex
        && initializers.containsKey(n.getInput(0)) != initializers.containsKey(n.getInput(otherIndex));
  }

  /** Index of the second operand of an add: 3 for QLinearAdd (after the first's scale and zero point). */
  private static int secondOperand(NodeProto n) {
    return "QLinearAdd".equals(n.getOpType()) ? 3 : 1;
  }

  /** The input a tail node passes on: the tensor operand of a bias add, else input 0. */
  private String dataInput(NodeProto n) {
    return isBiasAdd(n) && initializers.containsKey(n.getInput(0)) ? n.getInput(secondOperand(n)) : n.getInput(0);
  }

  private Result apply(ModelProto proto, String tensor) {
    boolean known = producers.containsKey(tensor) || index.graphInputs.contains(tensor);
    if (!known) {
      throw new ModelException("ONNX graph has no tensor '" + tensor + "'. Last nodes: " + lastNodes(8));
    }
    QuantRef qp = quantRef(tensor, 0);
    boolean isGraphOutput = graph.getOutputList().stream().anyMatch(o -> o.getName().equals(tensor));
    int type = qp != null ? TensorProto.DataType.FLOAT_VALUE : elemType(tensor);
    boolean toFloat = type != TensorProto.DataType.FLOAT_VALUE && type != TensorProto.DataType.UNDEFINED_VALUE;
    boolean toChannelsLast = imageLayout == TensorLayout.NHWC && mapLayout(tensor) == TensorLayout.NCHW;
    if (isGraphOutput && qp == null && !toFloat && !toChannelsLast) {
      return new Result(proto.toByteArray(), tensor, tensor, false, Float.NaN, 0, false);
    }
    GraphProto.Builder g = graph.toBuilder().clearOutput();
    Set<String> taken = index.takenNames();
    String output = fresh(OUTPUT, taken);
    String flatInput = tensor;
    float scale = Float.NaN;
    int zeroPoint = 0;
    if (qp != null) {
      String scaleName = qp.node().getInput(qp.scaleIndex());
      String zpName = qp.node().getInputCount() > qp.zeroPointIndex()
          ? qp.node().getInput(qp.zeroPointIndex()) : "";
      scale = scalarFloat(scaleName);
      zeroPoint = zpName.isEmpty() ? 0 : scalarInt(zpName);
      flatInput = fresh(tensor + "__p9_dequantized", taken);
      NodeProto.Builder dq = NodeProto.newBuilder().setOpType("DequantizeLinear")
          .setName(fresh("p9_dequantize", taken))
          .addInput(tensor).addInput(scaleName).addOutput(flatInput);
      if (!zpName.isEmpty()) {
        dq.addInput(zpName);
      }
      g.addNode(dq);
    } else if (toFloat) {
      // e.g. the float16 inside a model converted with float32 input and output
      flatInput = fresh(tensor + "__p9_float", taken);
      g.addNode(NodeProto.newBuilder().setOpType("Cast").setName(fresh("p9_cast", taken)).addInput(tensor)
          .addOutput(flatInput).addAttribute(AttributeProto.newBuilder().setName("to")
              .setI(TensorProto.DataType.FLOAT_VALUE).setType(AttributeProto.AttributeType.INT)));
    }
    if (toChannelsLast) {
      String nhwc = fresh(tensor + "__p9_nhwc", taken);
      g.addNode(NodeProto.newBuilder().setOpType("Transpose").setName(fresh("p9_nhwc", taken)).addInput(flatInput)
          .addOutput(nhwc).addAttribute(AttributeProto.newBuilder().setName("perm").addAllInts(List.of(0L, 2L, 3L, 1L))
              .setType(AttributeProto.AttributeType.INTS)));
      flatInput = nhwc;
    }
    g.addNode(NodeProto.newBuilder().setOpType("Flatten").setName(fresh("p9_flatten", taken))
        .addInput(flatInput).addOutput(output).addAttribute(AttributeProto.newBuilder().setName("axis").setI(1)
            .setType(AttributeProto.AttributeType.INT)));
    g.addOutput(ValueInfoProto.newBuilder().setName(output).setType(TypeProto.newBuilder()
        .setTensorType(TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE))));
    byte[] edited = proto.toBuilder().setGraph(g).build().toByteArray();
    return new Result(edited, output, tensor, qp != null, scale, zeroPoint, true);
  }

  /** Where a quantized tensor's scale and zero point are: inputs of {@code node}. */
  private record QuantRef(NodeProto node, int scaleIndex, int zeroPointIndex) {}

  /** The quantization parameters of {@code tensor}, or null if it is a float tensor. */
  private QuantRef quantRef(String tensor, int depth) {
    NodeProto p = producers.get(tensor);
    if (p != null && depth < 16) {
      int[] idx = QUANT_OUTPUT_PARAMS.get(p.getOpType());
      if (idx != null) {
        return new QuantRef(p, idx[0], idx[1]);
      }
      if (QUANT_PRESERVING.contains(p.getOpType())) {
        QuantRef up = quantRef(p.getInput(0), depth + 1);
        if (up != null) {
          return up;
        }
      }
    }
    for (NodeProto c : consumers.getOrDefault(tensor, List.of())) {
      if (c.getOpType().equals("DequantizeLinear") && c.getInput(0).equals(tensor)) {
        return new QuantRef(c, 1, 2);
      }
    }
    return null;
  }

  private float scalarFloat(String name) {
    TensorProto t = initializers.get(name);
    if (t == null) {
      return Float.NaN;
    }
    if (t.getFloatDataCount() > 0) {
      return t.getFloatData(0);
    }
    if (!t.getRawData().isEmpty()) {
      return ByteBuffer.wrap(t.getRawData().toByteArray()).order(ByteOrder.LITTLE_ENDIAN).getFloat();
    }
    return Float.NaN;
  }

  private int scalarInt(String name) {
    TensorProto t = initializers.get(name);
    if (t == null) {
      return 0;
    }
    if (t.getInt32DataCount() > 0) {
      return t.getInt32Data(0);
    }
    if (!t.getRawData().isEmpty()) {
      byte b = t.getRawData().byteAt(0);
      return t.getDataType() == TensorProto.DataType.UINT8_VALUE ? (b & 0xFF) : b;
    }
    return 0;
  }

  private List<String> lastNodes(int n) {
    List<String> out = new ArrayList<>();
    int count = graph.getNodeCount();
    for (int i = Math.max(0, count - n); i < count; i++) {
      NodeProto node = graph.getNode(i);
      out.add(node.getOpType() + node.getInputList() + "->" + node.getOutputList());
    }
    return out;
  }
}
