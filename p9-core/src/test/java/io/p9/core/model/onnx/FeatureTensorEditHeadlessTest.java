package io.p9.core.model.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import io.p9.core.image.DecodeOptions;
import io.p9.core.image.ImageDecoder;
import io.p9.core.image.PreprocessSpec;
import io.p9.core.model.BatchFeaturizer;
import io.p9.core.model.FeatureModel;
import io.p9.core.model.ModelBackends;
import io.p9.core.model.ModelBytes;
import io.p9.core.model.ModelException;
import io.p9.core.model.ModelOptions;
import io.p9.core.testing.Fixtures;
import io.p9.core.testing.RepoData;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code featureTensor=auto} on a headless model (a feature extractor without a classifier, whose output is
 * the globally pooled feature vector): it takes that output, and gives the features the full model gives.
 * The headless models are cut from the real ones by {@link FeatureTensorEdit} itself, then pruned to the
 * nodes the new output needs, as an export with {@code include_top=False} would be.
 */
class FeatureTensorEditHeadlessTest {
  @TempDir
  Path tmp;

  @Test
  void theInt8MobileNetV2WithoutItsClassifierGivesTheSameFeaturesWithAuto() throws Exception {
    byte[] full = Files.readAllBytes(RepoData.mobilenet());
    Path file = tmp.resolve("mobilenetv2-int8-headless.onnx");
    Files.write(file, headless(full, "464_quantized"));
    byte[] headless = Files.readAllBytes(file);

    GraphProto g = ModelProto.parseFrom(headless).getGraph();
    assertThat(g.getOutputCount()).isEqualTo(1);
    assertThat(g.getNodeList()).extracting(NodeProto::getOpType)
        .doesNotContain("QLinearMatMul", "Gemm", "MatMul")
        .contains("QLinearGlobalAveragePool");
    // the graph ends QLinearGlobalAveragePool -> DequantizeLinear -> Flatten
    assertThat(FeatureTensorEdit.autoFeatureTensor(headless)).isEqualTo("464_quantized");

    List<Path> images = RepoData.quickSampleSpread(12);
    float[] expected = features(ModelBytes.of("full.onnx", full), images);
    try (FeatureModel m = load(ModelBytes.of(file.getFileName().toString(), headless))) {
      assertThat(m.info().featureDim()).isEqualTo(1280);
      assertThat(m.info().featureTensor()).isEqualTo("464_quantized");
      assertThat(m.info().quantized()).isTrue();
    }
    float[] got = features(ModelBytes.of("headless.onnx", headless), images);
    assertThat(got).hasSize(12 * 1280);
    assertThat(nonZero(expected)).isGreaterThan(expected.length / 4);
    for (int i = 0; i < got.length; i++) {
      assertThat(got[i]).as("image %d feature %d", i / 1280, i % 1280).isCloseTo(expected[i], within(1e-6f));
    }
  }

  @Test
  void theFloatKerasMobileNetV2FixtureWithoutItsClassifierGivesTheSameFeaturesWithAuto() throws Exception {
    byte[] full = Fixtures.bytes("tiny_mnv2.onnx");
    String pooled = FeatureTensorEdit.autoFeatureTensor(full);
    byte[] headless = headless(full, pooled);
    assertThat(FeatureTensorEdit.autoFeatureTensor(headless)).isEqualTo(pooled);

    FloatBuffer in = Fixtures.referenceInput(3);
    try (FeatureModel a = load(ModelBytes.of("tiny_mnv2.onnx", full));
        FeatureModel b = load(ModelBytes.of("tiny_mnv2_headless.onnx", headless))) {
      int dim = a.info().featureDim();
      assertThat(b.info().featureDim()).isEqualTo(dim);
      float[] expected = new float[3 * dim];
      float[] got = new float[3 * dim];
      a.run(in, 3, expected);
      b.run(in, 3, got);
      assertThat(nonZero(expected)).isPositive();
      for (int i = 0; i < got.length; i++) {
        assertThat(got[i]).isCloseTo(expected[i], within(1e-6f));
      }
    }
  }

  @Test
  void spatialReduceMeanAndReduceMaxArePooling() {
    for (String op : List.of("ReduceMean", "ReduceMax")) {
      for (long[] axes : new long[][] {{2, 3}, {-1, -2}, {1, 2}}) {
        assertThat(FeatureTensorEdit.autoFeatureTensor(tinyEndingIn(op, axes))).as("%s %s", op, axes)
            .isEqualTo("pooled");
      }
    }
  }

  @Test
  void aReduceMeanWithItsAxesAsAnInputIsPooling() throws Exception {
    // opset 18 moved ReduceMean's axes from an attribute to an int64 input
    ModelProto m = ModelProto.parseFrom(tinyEndingIn("ReduceMean", new long[] {2, 3}));
    GraphProto.Builder g = m.getGraph().toBuilder();
    g.setNode(2, g.getNode(2).toBuilder().clearAttribute().addInput("pool_axes"));
    g.addInitializer(TensorProto.newBuilder().setName("pool_axes").setDataType(TensorProto.DataType.INT64_VALUE)
        .addDims(2).setRawData(com.google.protobuf.ByteString.copyFrom(java.nio.ByteBuffer.allocate(16)
            .order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(2).putLong(3).array())));
    byte[] opset18 = m.toBuilder().setGraph(g).build().toByteArray();
    assertThat(FeatureTensorEdit.autoFeatureTensor(opset18)).isEqualTo("pooled");
  }

  @Test
  void aReduceMeanWithItsAxesFromAConstantNodeIsPooling() throws Exception {
    // torch.onnx gives small constants such as these axes as Constant nodes, not initializers
    ModelProto m = ModelProto.parseFrom(tinyEndingIn("ReduceMean", new long[] {2, 3}));
    GraphProto.Builder g = m.getGraph().toBuilder();
    g.setNode(2, g.getNode(2).toBuilder().clearAttribute().addInput("/Constant_output_0"));
    g.addNode(0, NodeProto.newBuilder().setOpType("Constant").setName("/Constant").addOutput("/Constant_output_0")
        .addAttribute(AttributeProto.newBuilder().setName("value").setType(AttributeProto.AttributeType.TENSOR)
            .setT(TensorProto.newBuilder().setDataType(TensorProto.DataType.INT64_VALUE).addDims(2)
                .addInt64Data(2).addInt64Data(3))));
    byte[] opset18 = m.toBuilder().setGraph(g).build().toByteArray();
    assertThat(FeatureTensorEdit.autoFeatureTensor(opset18)).isEqualTo("pooled");
  }

  @Test
  void aReduceMeanOverChannelsIsNotPooling() {
    assertThatThrownBy(() -> FeatureTensorEdit.autoFeatureTensor(tinyEndingIn("ReduceMean", new long[] {1})))
        .isInstanceOf(ModelException.class)
        .hasMessageContaining("name the feature tensor explicitly");
  }

  @Test
  void aGraphEndingInReluIsStillRefusedAndTheMessageSaysWhatIsAccepted() throws Exception {
    GraphProto.Builder g = ModelProto.parseFrom(new TinyOnnx(2, 3, 4, 2).bytes()).getGraph().toBuilder();
    g.removeNode(5).removeNode(4).removeNode(3).removeNode(2);
    g.setOutput(0, g.getOutput(0).toBuilder().setName("relu"));
    byte[] cut = ModelProto.parseFrom(new TinyOnnx(2, 3, 4, 2).bytes()).toBuilder().setGraph(g).build()
        .toByteArray();
    assertThatThrownBy(() -> FeatureTensorEdit.expose(cut, "auto"))
        .isInstanceOf(ModelException.class)
        .hasMessageContaining("found no classifier")
        .hasMessageContaining("headless model ending in GlobalAveragePool")
        .hasMessageContaining("name the feature tensor explicitly");
  }

  /** The tiny CNN cut after a {@code op} over {@code axes} in place of its GlobalAveragePool. */
  private static byte[] tinyEndingIn(String op, long[] axes) {
    try {
      ModelProto m = ModelProto.parseFrom(new TinyOnnx(2, 3, 4, 2).bytes());
      GraphProto.Builder g = m.getGraph().toBuilder();
      g.removeNode(5).removeNode(4).removeNode(3);
      AttributeProto.Builder a = AttributeProto.newBuilder().setName("axes")
          .setType(AttributeProto.AttributeType.INTS);
      for (long x : axes) {
        a.addInts(x);
      }
      g.setNode(2, g.getNode(2).toBuilder().setOpType(op).addAttribute(a));
      g.setOutput(0, g.getOutput(0).toBuilder().setName("pooled"));
      return m.toBuilder().setGraph(g).build().toByteArray();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** {@code full} with {@code tensor} exposed as its only output and the nodes after it (the classifier) gone. */
  private static byte[] headless(byte[] full, String tensor) throws Exception {
    ModelProto exposed = ModelProto.parseFrom(FeatureTensorEdit.expose(full, tensor).model());
    GraphProto g = exposed.getGraph();
    Set<String> needed = new HashSet<>();
    g.getOutputList().forEach(o -> needed.add(o.getName()));
    List<NodeProto> kept = new ArrayList<>();
    for (int i = g.getNodeCount() - 1; i >= 0; i--) { // nodes are topologically sorted
      NodeProto n = g.getNode(i);
      if (n.getOutputList().stream().anyMatch(needed::contains)) {
        kept.add(0, n);
        needed.addAll(n.getInputList());
      }
    }
    GraphProto.Builder b = g.toBuilder().clearNode().addAllNode(kept).clearInitializer().clearValueInfo();
    for (TensorProto t : g.getInitializerList()) {
      if (needed.contains(t.getName())) {
        b.addInitializer(t);
      }
    }
    return exposed.toBuilder().setGraph(b).build().toByteArray();
  }

  private static FeatureModel load(ModelBytes mb) {
    ModelOptions o = ModelOptions.defaults().withIntraOpThreads(2);
    return ModelBackends.select(o.backend(), mb).load(mb, o);
  }

  /** Features of {@code images} through the normal path: decode, preprocess, BatchFeaturizer, auto. */
  private static float[] features(ModelBytes mb, List<Path> images) throws Exception {
    ImageDecoder decoder = new ImageDecoder(DecodeOptions.defaults());
    try (FeatureModel m = load(mb); BatchFeaturizer bf = new BatchFeaturizer(m, PreprocessSpec.imagenet(224), 8)) {
      int dim = m.info().featureDim();
      float[] all = new float[images.size() * dim];
      int done = 0;
      for (Path p : images) {
        bf.add(decoder.decode(Files.readAllBytes(p)));
        if (bf.isFull()) {
          int n = bf.size();
          System.arraycopy(bf.run(), 0, all, done * dim, n * dim);
          done += n;
        }
      }
      if (bf.size() > 0) {
        int n = bf.size();
        System.arraycopy(bf.run(), 0, all, done * dim, n * dim);
        done += n;
      }
      assertThat(done).isEqualTo(images.size());
      return all;
    }
  }

  private static int nonZero(float[] v) {
    int c = 0;
    for (float x : v) {
      if (x != 0f) {
        c++;
      }
    }
    return c;
  }
}
