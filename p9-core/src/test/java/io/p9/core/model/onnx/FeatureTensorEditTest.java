package io.p9.core.model.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import io.p9.core.model.ModelException;
import io.p9.core.testing.DynamicSizeOnnx;
import io.p9.core.testing.OnnxGraphs;
import io.p9.core.testing.RepoData;
import java.nio.file.Files;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class FeatureTensorEditTest {
  static byte[] mobilenet;

  @BeforeAll
  static void load() throws Exception {
    mobilenet = Files.readAllBytes(RepoData.mobilenet());
  }

  @Test
  void autoFindsThePooledQuantizedTensorOfMobileNetV2() throws Exception {
    FeatureTensorEdit.Result r = FeatureTensorEdit.expose(mobilenet, "auto");

    assertThat(r.sourceTensor()).isEqualTo("464_quantized");
    assertThat(r.quantized()).isTrue();
    assertThat(r.scale()).isEqualTo(0.019110054f);
    assertThat(r.zeroPoint()).isZero();
    assertThat(r.edited()).isTrue();
    assertThat(r.outputName()).isEqualTo(FeatureTensorEdit.OUTPUT);

    GraphProto g = ModelProto.parseFrom(r.model()).getGraph();
    assertThat(g.getOutputList()).extracting(o -> o.getName()).containsExactly(FeatureTensorEdit.OUTPUT);
    NodeProto dq = g.getNode(g.getNodeCount() - 2);
    assertThat(dq.getOpType()).isEqualTo("DequantizeLinear");
    assertThat(dq.getInputList()).containsExactly("464_quantized", "464_scale", "464_zero_point");
    NodeProto flat = g.getNode(g.getNodeCount() - 1);
    assertThat(flat.getOpType()).isEqualTo("Flatten");
    assertThat(flat.getOutput(0)).isEqualTo(FeatureTensorEdit.OUTPUT);
    // the rest of the model is kept as it was
    ModelProto original = ModelProto.parseFrom(mobilenet);
    assertThat(g.getNodeCount()).isEqualTo(original.getGraph().getNodeCount() + 2);
    assertThat(g.getInitializerCount()).isEqualTo(original.getGraph().getInitializerCount());
    assertThat(ModelProto.parseFrom(r.model()).getOpsetImportList()).isEqualTo(original.getOpsetImportList());
  }

  @Test
  void aNamedQuantizedTensorBehindAReshapeUsesTheProducersScale() {
    FeatureTensorEdit.Result r = FeatureTensorEdit.expose(mobilenet, "472_quantized");
    assertThat(r.quantized()).isTrue();
    assertThat(r.scale()).isEqualTo(0.019110054f);
  }

  @Test
  void aFloatInnerTensorIsFlattenedWithoutDequantize() throws Exception {
    FeatureTensorEdit.Result r = FeatureTensorEdit.expose(mobilenet, "627");
    assertThat(r.quantized()).isFalse();
    assertThat(r.scale()).isNaN();
    GraphProto g = ModelProto.parseFrom(r.model()).getGraph();
    assertThat(g.getNode(g.getNodeCount() - 1).getOpType()).isEqualTo("Flatten");
    assertThat(g.getNode(g.getNodeCount() - 2).getName()).isNotEqualTo("p9_dequantize");
  }

  @Test
  void anExistingFloatOutputLeavesTheModelUnchanged() {
    FeatureTensorEdit.Result r = FeatureTensorEdit.expose(mobilenet, "output");
    assertThat(r.edited()).isFalse();
    assertThat(r.outputName()).isEqualTo("output");
    assertThat(r.model()).isEqualTo(mobilenet);
  }

  @Test
  void anUnknownTensorIsRefusedWithTheLastNodes() {
    assertThatThrownBy(() -> FeatureTensorEdit.expose(mobilenet, "nope"))
        .isInstanceOf(ModelException.class)
        .hasMessageContaining("no tensor 'nope'")
        .hasMessageContaining("QLinearMatMul");
  }

  @Test
  void garbageIsNotAnOnnxModel() {
    assertThatThrownBy(() -> FeatureTensorEdit.expose(new byte[] {1, 2, 3, 4, 5}, "auto"))
        .isInstanceOf(ModelException.class)
        .hasMessageContaining("not an ONNX model");
  }

  @Test
  void autoFindsThePooledTensorOfAFloatCnn() {
    byte[] tiny = new TinyOnnx(4, 5, 6, 1).bytes();
    assertThat(FeatureTensorEdit.autoFeatureTensor(tiny)).isEqualTo("pooled");
    FeatureTensorEdit.Result r = FeatureTensorEdit.expose(tiny, "auto");
    assertThat(r.quantized()).isFalse();
    assertThat(r.sourceTensor()).isEqualTo("pooled");
  }

  @Test
  void autoWithoutAClassifierTakesTheGlobalPoolingOutput() {
    // the tiny CNN cut after pooling: output = GlobalAveragePool, no classifier (a headless model)
    GraphProto.Builder g;
    try {
      g = ModelProto.parseFrom(new TinyOnnx(2, 3, 4, 2).bytes()).getGraph().toBuilder();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    g.removeNode(5).removeNode(4).removeNode(3);
    g.setOutput(0, g.getOutput(0).toBuilder().setName("pooled"));
    byte[] cut = ModelProto.newBuilder().setIrVersion(7).addOpsetImport(
        ai.onnx.proto.OnnxMl.OperatorSetIdProto.newBuilder().setVersion(13)).setGraph(g).build().toByteArray();
    assertThat(FeatureTensorEdit.autoFeatureTensor(cut)).isEqualTo("pooled");
    FeatureTensorEdit.Result r = FeatureTensorEdit.expose(cut, "auto");
    assertThat(r.sourceTensor()).isEqualTo("pooled");
    assertThat(r.edited()).as("a float graph output is taken as it is").isFalse();
  }

  @Test
  void autoWalksBackThroughABiasAddWhicheverSideTheBiasIsOn() throws Exception {
    // torch.onnx exports a Linear whose input rank it does not know as MatMul, then Add(bias, product)
    TinyOnnx tiny = new TinyOnnx(4, 5, 6, 1);
    for (boolean biasFirst : new boolean[] {true, false}) {
      GraphProto.Builder g = ModelProto.parseFrom(tiny.bytes()).getGraph().toBuilder();
      assertThat(g.getNode(4).getOpType()).isEqualTo("Gemm");
      ai.onnx.proto.OnnxMl.TensorProto.Builder wt = ai.onnx.proto.OnnxMl.TensorProto.newBuilder().setName("fc_wt")
          .setDataType(ai.onnx.proto.OnnxMl.TensorProto.DataType.FLOAT_VALUE).addDims(4).addDims(5);
      for (int c = 0; c < 4; c++) {
        for (int k = 0; k < 5; k++) {
          wt.addFloatData(tiny.gemmW[k * 4 + c]);
        }
      }
      g.addInitializer(wt);
      g.setNode(4, NodeProto.newBuilder().setOpType("MatMul").setName("fc_matmul").addInput("flat")
          .addInput("fc_wt").addOutput("product"));
      NodeProto.Builder add = NodeProto.newBuilder().setOpType("Add").setName("fc_add").addOutput("logits");
      if (biasFirst) {
        add.addInput("fc_b").addInput("product");
      } else {
        add.addInput("product").addInput("fc_b");
      }
      g.addNode(5, add);
      byte[] model = ModelProto.parseFrom(tiny.bytes()).toBuilder().setGraph(g).build().toByteArray();
      assertThat(FeatureTensorEdit.autoFeatureTensor(model)).as("bias first: %s", biasFirst).isEqualTo("pooled");
    }
  }

  /** The permutations of the Transposes the edit of {@code model} for {@code tensor} adds. */
  static List<List<Long>> addedTransposes(byte[] model, String tensor) throws Exception {
    GraphProto g = ModelProto.parseFrom(FeatureTensorEdit.expose(model, tensor).model()).getGraph();
    return g.getNodeList().stream().filter(n -> n.getOpType().equals("Transpose") && n.getName().startsWith("p9_"))
        .map(n -> n.getAttribute(0).getIntsList()).toList();
  }

  @Test
  void onlyAChannelsFirstMapOfAChannelsLastModelIsTransposedBeforeTheFlatten() throws Exception {
    // input [n,h,w,3] → Transpose(0,3,1,2) → 'nchw' → Conv → 'conv1' → Relu → ... → 'relu2' → 'pooled'
    byte[] nhwc = DynamicSizeOnnx.nhwc(3);
    assertThat(addedTransposes(nhwc, "relu2")).as("a convolution's map").containsExactly(List.of(0L, 2L, 3L, 1L));
    assertThat(addedTransposes(nhwc, "nchw")).as("the input transposed for the convolutions")
        .containsExactly(List.of(0L, 2L, 3L, 1L));
    assertThat(addedTransposes(nhwc, "input")).as("the channels-last input").isEmpty();
    assertThat(addedTransposes(nhwc, "pooled")).as("the pooled vector").isEmpty();
    assertThat(addedTransposes(nhwc, "auto")).as("auto: the pooled vector").isEmpty();
    assertThat(addedTransposes(DynamicSizeOnnx.nchw(3), "relu2")).as("a map of a channels-first model").isEmpty();
    // a map the graph itself transposes back to channels last (as tf2onnx does before a Keras Flatten)
    GraphProto.Builder g = ModelProto.parseFrom(nhwc).getGraph().toBuilder().addNode(NodeProto.newBuilder()
        .setOpType("Transpose").setName("back").addInput("relu2").addOutput("relu2_nhwc")
        .addAttribute(OnnxGraphs.ints("perm", 0, 2, 3, 1)));
    byte[] back = ModelProto.parseFrom(nhwc).toBuilder().setGraph(g).build().toByteArray();
    assertThat(addedTransposes(back, "relu2_nhwc")).as("a map already channels last").isEmpty();
  }

  @Test
  void exposingAnAlreadyExposedQuantizedTensorAgainKeepsNamesUnique() throws Exception {
    byte[] once = FeatureTensorEdit.expose(mobilenet, "464_quantized").model();
    FeatureTensorEdit.Result twice = FeatureTensorEdit.expose(once, "464_quantized");
    assertThat(twice.outputName()).isEqualTo(FeatureTensorEdit.OUTPUT + "_1");
    GraphProto g = ModelProto.parseFrom(twice.model()).getGraph();
    Set<String> outputs = new HashSet<>();
    Set<String> names = new HashSet<>();
    for (NodeProto n : g.getNodeList()) {
      assertThat(names.add(n.getName())).as("node name %s", n.getName()).isTrue();
      for (String o : n.getOutputList()) {
        assertThat(outputs.add(o)).as("tensor %s", o).isTrue();
      }
    }
    assertThat(g.getOutputList()).extracting(o -> o.getName()).containsExactly(FeatureTensorEdit.OUTPUT + "_1");
  }
}
