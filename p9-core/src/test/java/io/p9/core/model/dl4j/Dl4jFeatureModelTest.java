package io.p9.core.model.dl4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.p9.core.model.FeatureModel;
import io.p9.core.model.ModelBytes;
import io.p9.core.model.ModelException;
import io.p9.core.model.ModelOptions;
import io.p9.core.tensor.TensorLayout;
import io.p9.core.testing.Fixtures;
import java.io.ByteArrayOutputStream;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** The DL4J backend on the committed Keras fixtures and on DL4J zips written here. */
class Dl4jFeatureModelTest {
  static final int PIXELS = Fixtures.SIZE * Fixtures.SIZE * 3;
  static Dl4jFeatureModel functional;
  static Dl4jFeatureModel sequential;

  @BeforeAll
  static void load() {
    functional = open("tiny_mnv2.h5", ModelOptions.AUTO);
    sequential = open("tiny_seq.h5", ModelOptions.AUTO);
  }

  @AfterAll
  static void close() {
    functional.close();
    sequential.close();
  }

  static Dl4jFeatureModel open(String fixture, String featureLayer) {
    return open(ModelBytes.of(fixture, Fixtures.bytes(fixture)), featureLayer);
  }

  static Dl4jFeatureModel open(ModelBytes bytes, String featureLayer) {
    return (Dl4jFeatureModel) new Dl4jBackend().load(bytes, ModelOptions.defaults().withFeatureTensor(featureLayer));
  }

  static void assertMatchesReference(FeatureModel m, String model, String what) {
    JsonNode expected = Fixtures.reference().path("models").path(model).path(what);
    int dim = expected.get(0).size();
    float[] out = new float[2 * dim];
    m.run(Fixtures.referenceInput(2), 2, out);
    for (int i = 0; i < 2; i++) {
      for (int j = 0; j < dim; j++) {
        assertThat(out[i * dim + j]).as("%s %s image %d value %d", model, what, i, j)
            .isCloseTo((float) expected.get(i).get(j).asDouble(), within(1e-5f));
      }
    }
  }

  @Test
  void aKerasFunctionalModelReadsItsInputAndFindsThePooledFeatures() {
    assertThat(functional.kind()).isEqualTo("Keras Functional .h5 (Keras 2.4.0)");
    assertThat(functional.info().backend()).isEqualTo("dl4j");
    assertThat(functional.info().inputName()).isEqualTo("input_1");
    assertThat(functional.info().inputShape()).containsExactly(-1, 32, 32, 3);
    assertThat(functional.info().layout()).isEqualTo(TensorLayout.NHWC);
    assertThat(functional.info().featureTensor()).isEqualTo("global_average_pooling2d");
    assertThat(functional.info().featureDim()).isEqualTo(32);
    assertThat(functional.info().quantized()).isFalse();
  }

  @Test
  void aKerasSequentialModelIsReadThroughDropoutToThePooledFeatures() {
    assertThat(sequential.kind()).isEqualTo("Keras Sequential .h5 (Keras 2.4.0)");
    assertThat(sequential.info().inputName()).isEqualTo("conv2d_input");
    assertThat(sequential.info().inputShape()).containsExactly(-1, 32, 32, 3);
    assertThat(sequential.info().featureTensor()).isEqualTo("global_average_pooling2d");
    assertThat(sequential.info().featureDim()).isEqualTo(16);
  }

  @Test
  void featuresAndClassProbabilitiesMatchTheNumpyReference() {
    assertMatchesReference(functional, "tiny_mnv2", "features");
    assertMatchesReference(sequential, "tiny_seq", "features");
    try (Dl4jFeatureModel f = open("tiny_mnv2.h5", "predictions");
        Dl4jFeatureModel s = open("tiny_seq.h5", "dense")) {
      assertThat(f.info().featureDim()).isEqualTo(5);
      assertMatchesReference(f, "tiny_mnv2", "probabilities");
      assertMatchesReference(s, "tiny_seq", "probabilities");
    }
  }

  @Test
  void variableLengthStringAttributesAreReadToo() {
    // tiny_seq_vlen.h5 stores model_config etc. as variable-length strings (h5py str, Keras 3's legacy writer)
    try (Dl4jFeatureModel m = open("tiny_seq_vlen.h5", ModelOptions.AUTO)) {
      assertThat(m.info()).isEqualTo(sequential.info());
      assertMatchesReference(m, "tiny_seq", "features");
    }
  }

  @Test
  void aNamedInnerLayerIsFlattenedInNhwcOrder() {
    try (Dl4jFeatureModel m = open("tiny_mnv2.h5", "out_relu")) {
      assertThat(m.info().featureTensor()).isEqualTo("out_relu");
      assertThat(m.info().featureDim()).isEqualTo(8 * 8 * 32);
      float[] map = new float[2 * 8 * 8 * 32];
      m.run(Fixtures.referenceInput(2), 2, map);
      float[] pooled = new float[2 * 32];
      functional.run(Fixtures.referenceInput(2), 2, pooled);
      // global average pooling of the [8, 8, 32] map, read as h, w, c, gives the pooled features
      for (int i = 0; i < 2; i++) {
        for (int c = 0; c < 32; c++) {
          double sum = 0;
          for (int p = 0; p < 64; p++) {
            sum += map[i * 2048 + p * 32 + c];
          }
          assertThat((float) (sum / 64)).as("image %d channel %d", i, c).isCloseTo(pooled[i * 32 + c], within(1e-5f));
        }
      }
    }
  }

  @Test
  void theLayerRightAfterTheInputIsAFeatureLayerToo() {
    // DL4J 1.0.0-M2.1 fails when asked, with workspaces, for the only consumer of the network input, and
    // leaves an ND4J workspace open on the calling thread: every later DL4J call on that thread then failed
    try (Dl4jFeatureModel conv = open("tiny_seq.h5", "conv2d");
        Dl4jFeatureModel pooled = open("tiny_seq.h5", "max_pooling2d")) {
      assertThat(conv.info().featureDim()).isEqualTo(32 * 32 * 8);
      float[] map = new float[2 * 32 * 32 * 8];
      conv.run(Fixtures.referenceInput(2), 2, map);
      float[] pool = new float[2 * 16 * 16 * 8];
      pooled.run(Fixtures.referenceInput(2), 2, pool);
      // 2x2 max pooling of the [32, 32, 8] map, read as h, w, c, gives the pooled map
      for (int i = 0; i < 2; i++) {
        for (int y = 0; y < 16; y++) {
          for (int x = 0; x < 16; x++) {
            for (int c = 0; c < 8; c++) {
              float max = Float.NEGATIVE_INFINITY;
              for (int dy = 0; dy < 2; dy++) {
                for (int dx = 0; dx < 2; dx++) {
                  max = Math.max(max, map[i * 8192 + ((2 * y + dy) * 32 + 2 * x + dx) * 8 + c]);
                }
              }
              assertThat(pool[i * 2048 + (y * 16 + x) * 8 + c]).isEqualTo(max);
            }
          }
        }
      }
    }
    assertThat(Nd4j.getWorkspaceManager().anyWorkspaceActiveForCurrentThread()).isFalse();
    assertMatchesReference(sequential, "tiny_seq", "features");
  }

  @Test
  void workspacesADl4jFailureLeftOpenAreClosedSoTheThreadKeepsWorking() {
    // the DL4J 1.0.0-M2.1 failure above, on a bare graph with workspaces: it leaves WS_LAYER_ACT_0 open
    ComputationGraph g = KerasH5.load(ModelBytes.of("tiny_seq.h5", Fixtures.bytes("tiny_seq.h5"))).graph();
    g.getConfiguration().setInferenceWorkspaceMode(org.deeplearning4j.nn.conf.WorkspaceMode.ENABLED);
    INDArray x = Nd4j.zeros(org.nd4j.linalg.api.buffer.DataType.FLOAT, 1, 32, 32, 3);
    assertThatThrownBy(() -> g.output(List.of("conv2d"), false, new INDArray[] {x}, null))
        .hasMessageContaining("Expected no workspace active");
    assertThat(Nd4j.getWorkspaceManager().anyWorkspaceActiveForCurrentThread()).isTrue();
    Dl4jFeatureModel.closeWorkspacesLeftOpen();
    assertThat(Nd4j.getWorkspaceManager().anyWorkspaceActiveForCurrentThread()).isFalse();
    assertMatchesReference(functional, "tiny_mnv2", "features");
  }

  @Test
  void anUnknownLayerIsRefusedListingTheLayers() {
    assertThatThrownBy(() -> open("tiny_mnv2.h5", "no_such_layer")).isInstanceOf(ModelException.class)
        .hasMessageContaining("tiny_mnv2.h5").hasMessageContaining("no layer 'no_such_layer'").hasMessageContaining("global_average_pooling2d(GlobalPoolingLayer)")
        .hasMessageContaining("block_2_add(ElementWiseVertex)");
  }

  @Test
  void aBatchEqualsTheConcatenationOfSingles() {
    long seed = 41;
    FloatBuffer batch = Fixtures.gaussian(new Random(seed), 3 * PIXELS);
    float[] together = new float[3 * 32];
    functional.run(batch, 3, together);
    for (int i = 0; i < 3; i++) {
      FloatBuffer one = Fixtures.gaussian(new Random(0), PIXELS);
      one.put(0, batch, i * PIXELS, PIXELS);
      float[] alone = new float[32];
      functional.run(one, 1, alone);
      for (int j = 0; j < 32; j++) {
        assertThat(together[i * 32 + j]).as("seed %d image %d feature %d", seed, i, j)
            .isCloseTo(alone[j], within(1e-5f));
      }
    }
  }

  @Test
  void concurrentCallsUseReplicasAndGiveTheSequentialResults() throws Exception {
    int threads = 4;
    Dl4jFeatureModel m = open("tiny_mnv2.h5", ModelOptions.AUTO);
    try {
      List<FloatBuffer> inputs = new ArrayList<>();
      List<float[]> expected = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        inputs.add(Fixtures.gaussian(new Random(100 + t), 2 * PIXELS));
        float[] e = new float[2 * 32];
        m.run(inputs.get(t), 2, e);
        expected.add(e);
      }
      assertThat(m.replicasCreated()).as("one caller so far").isEqualTo(1);
      CyclicBarrier together = new CyclicBarrier(threads);
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      try {
        List<Future<float[]>> got = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          FloatBuffer in = inputs.get(t);
          got.add(pool.submit(() -> {
            float[] o = new float[2 * 32];
            for (int round = 0; round < 5; round++) {
              together.await();
              m.run(in, 2, o);
            }
            return o;
          }));
        }
        for (int t = 0; t < threads; t++) {
          assertThat(got.get(t).get()).containsExactly(expected.get(t));
        }
      } finally {
        pool.shutdownNow();
      }
      assertThat(m.replicasCreated()).isGreaterThan(1).isLessThanOrEqualTo(threads);
    } finally {
      m.close();
    }
    assertThatThrownBy(() -> m.run(Fixtures.referenceInput(1), 1, new float[32]))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
  }

  @Test
  void closeWaitsForTheRunsInFlightAndLaterRunsFailCleanly() throws Exception {
    // p9's Fruits-360 CNN at its 100x100: a batch of 8 runs long enough for close to come during a run
    Dl4jFeatureModel m = (Dl4jFeatureModel) new Dl4jBackend().load(ModelBytes.of("fruits_cnn_dl4j.zip",
        Fixtures.bytes("fruits_cnn_dl4j.zip")), ModelOptions.defaults().withInputSize(100, 100));
    int dim = m.info().featureDim();
    FloatBuffer in = Fixtures.gaussian(new Random(21), 8 * 100 * 100 * 3);
    float[] expected = new float[8 * dim];
    m.run(in, 8, 100, 100, expected);
    int threads = 2;
    CountDownLatch running = new CountDownLatch(threads);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<Throwable>> ends = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        ends.add(pool.submit(() -> {
          float[] out = new float[8 * dim];
          boolean counted = false;
          try {
            while (true) {
              m.run(in, 8, 100, 100, out);
              assertThat(out).containsExactly(expected);
              if (!counted) {
                running.countDown();
                counted = true;
              }
            }
          } catch (Throwable e) {
            return e;
          }
        }));
      }
      running.await();
      m.close(); // both threads loop on run: one of them is almost always inside it now
      for (Future<Throwable> end : ends) {
        assertThat(end.get(2, TimeUnit.MINUTES)).isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("is closed");
      }
      m.close(); // again: nothing happens
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void workspacesAreReusedFromBatchToBatch() {
    FloatBuffer in = Fixtures.gaussian(new Random(3), 4 * PIXELS);
    float[] out = new float[4 * 32];
    // ND4J learns each workspace's size over its first cycles (here the last one is allocated in the 5th
    // batch), then allocates it once
    for (int i = 0; i < 8; i++) {
      functional.run(in, 4, out);
    }
    int workspaces = Nd4j.getWorkspaceManager().getAllWorkspacesForCurrentThread().size();
    assertThat(workspaces).as("inference runs in workspaces").isPositive();
    long[] sizes = Nd4j.getWorkspaceManager().getAllWorkspacesForCurrentThread().stream()
        .mapToLong(w -> w.getCurrentSize()).toArray();
    for (int i = 0; i < 10; i++) {
      functional.run(in, 4, out);
    }
    assertThat(Nd4j.getWorkspaceManager().getAllWorkspacesForCurrentThread()).hasSize(workspaces);
    assertThat(Nd4j.getWorkspaceManager().getAllWorkspacesForCurrentThread().stream()
        .mapToLong(w -> w.getCurrentSize()).toArray()).as("no workspace grew").containsExactly(sizes);
  }

  @Test
  void loadingAppliesTheThreadBudgetToOpenBlas() {
    try (Dl4jFeatureModel m = (Dl4jFeatureModel) new Dl4jBackend().load(
        ModelBytes.of("tiny_seq.h5", Fixtures.bytes("tiny_seq.h5")), ModelOptions.defaults().withIntraOpThreads(1))) {
      assertThat(Nd4j.factory().blas().getMaxThreads()).isEqualTo(1);
      assertThat(m.info().featureDim()).isEqualTo(16);
    }
    Dl4jFeatureModel.applyThreadBudget(2);
    assertThat(Nd4j.factory().blas().getMaxThreads()).isEqualTo(2);
    assertThat(Nd4j.getEnvironment().maxThreads()).as("libnd4j can be raised").isGreaterThanOrEqualTo(2);
  }

  @Test
  void imagesOfAnotherSizeThanAFixedInputAreRefused() {
    assertThatThrownBy(() -> functional.run(Fixtures.gaussian(new Random(1), 48 * 48 * 3), 1, 48, 48,
        new float[32])).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("48x48");
  }

  @Test
  void aComputationGraphZipGivesTheKerasFeaturesAtAnySize() throws Exception {
    // the Keras import written back as a DL4J zip: the zip does not record the input size
    ComputationGraph g = KerasH5.load(ModelBytes.of("tiny_mnv2.h5", Fixtures.bytes("tiny_mnv2.h5"))).graph();
    ByteArrayOutputStream zip = new ByteArrayOutputStream();
    ModelSerializer.writeModel(g, zip, false);
    try (Dl4jFeatureModel m = open(ModelBytes.of("tiny_mnv2.zip", zip.toByteArray()), ModelOptions.AUTO)) {
      assertThat(m.kind()).isEqualTo("DL4J ComputationGraph zip");
      assertThat(m.info().inputShape()).containsExactly(-1, -1, -1, 3);
      assertThat(m.info().layout()).isEqualTo(TensorLayout.NHWC);
      assertThat(m.info().featureTensor()).isEqualTo("global_average_pooling2d");
      assertThat(m.info().featureDim()).isEqualTo(32);
      float[] viaZip = new float[2 * 32];
      m.run(Fixtures.referenceInput(2), 2, 32, 32, viaZip);
      float[] viaH5 = new float[2 * 32];
      functional.run(Fixtures.referenceInput(2), 2, viaH5);
      assertThat(viaZip).containsExactly(viaH5);
      float[] larger = new float[32];
      m.run(Fixtures.gaussian(new Random(9), 48 * 48 * 3), 1, 48, 48, larger);
      assertThat(larger).as("a pooled network takes any size").isNotEqualTo(new float[32]);
      assertThatThrownBy(() -> m.run(Fixtures.referenceInput(1), 1, new float[32]))
          .isInstanceOf(IllegalStateException.class).hasMessageContaining("input size is not recorded");
    }
  }

  @Test
  void aMultiLayerNetworkZipKeepsItsLayerNamesAndItsNchwLayout() throws Exception {
    MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(7).list()
        .layer(new ConvolutionLayer.Builder(3, 3).name("conv").nOut(6).activation(Activation.RELU).build())
        .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX, new int[] {2, 2}, new int[] {2, 2}).name("pool").build())
        .layer(new GlobalPoolingLayer.Builder(PoolingType.AVG).name("gap").build())
        .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).name("classes").nOut(3)
            .activation(Activation.SOFTMAX).build())
        .setInputType(InputType.convolutional(20, 20, 3, CNN2DFormat.NCHW)).build();
    MultiLayerNetwork net = new MultiLayerNetwork(conf);
    net.init();
    ByteArrayOutputStream zip = new ByteArrayOutputStream();
    ModelSerializer.writeModel(net, zip, false);
    try (Dl4jFeatureModel m = open(ModelBytes.of("mln.zip", zip.toByteArray()), ModelOptions.AUTO)) {
      assertThat(m.kind()).isEqualTo("DL4J MultiLayerNetwork zip");
      assertThat(m.info().inputName()).isEqualTo(Dl4jLoader.MLN_INPUT);
      assertThat(m.info().inputShape()).containsExactly(-1, 3, -1, -1);
      assertThat(m.info().layout()).isEqualTo(TensorLayout.NCHW);
      assertThat(m.info().featureTensor()).isEqualTo("gap");
      assertThat(m.info().featureDim()).isEqualTo(6);
      Random rnd = new Random(12);
      FloatBuffer in = Fixtures.gaussian(rnd, 2 * 3 * 20 * 20);
      float[] got = new float[2 * 6];
      m.run(in, 2, 20, 20, got);
      float[] x = new float[2 * 3 * 20 * 20];
      in.get(0, x);
      INDArray expected = net.feedForwardToLayer(2, Nd4j.create(x, new long[] {2, 3, 20, 20}, 'c'), false).get(3);
      for (int i = 0; i < 2; i++) {
        for (int j = 0; j < 6; j++) {
          assertThat(got[i * 6 + j]).isCloseTo(expected.getFloat(i, j), within(1e-5f));
        }
      }
    }
    try (Dl4jFeatureModel m = open(ModelBytes.of("mln.zip", zip.toByteArray()), "pool")) {
      assertThat(m.info().featureDim()).as("named layer, at the probe size").isEqualTo(6 * 111 * 111);
      assertThatThrownBy(() -> m.run(Fixtures.gaussian(new Random(1), 3 * 20 * 20), 1, 20, 20, new float[6 * 111 * 111]))
          .isInstanceOf(ModelException.class).hasMessageContaining("expected 73926 values per image");
    }
    try (FeatureModel m = new Dl4jBackend().load(ModelBytes.of("mln.zip", zip.toByteArray()),
        ModelOptions.defaults().withFeatureTensor("pool").withInputSize(20, 20))) {
      assertThat(m.info().featureDim()).as("named layer, at the given size").isEqualTo(6 * 9 * 9);
      float[] map = new float[6 * 9 * 9];
      FloatBuffer in = Fixtures.gaussian(new Random(1), 3 * 20 * 20);
      m.run(in, 1, 20, 20, map);
      assertThat(map).as("max pooling of relu activations").isNotEqualTo(new float[6 * 9 * 9]);
      // a native DL4J network keeps its own order: the NCHW map flattens in c, h, w order
      float[] x = new float[3 * 20 * 20];
      in.get(0, x);
      INDArray pool = net.feedForwardToLayer(1, Nd4j.create(x, new long[] {1, 3, 20, 20}, 'c'), false).get(2);
      assertThat(pool.shape()).containsExactly(1, 6, 9, 9);
      assertThat(map).containsExactly(pool.dup('c').data().asFloat());
    }
  }

  /** conv 3x3 → dense (flattening the 18x18x4 map) → output: the network takes 20x20 images and no other size. */
  static MultiLayerNetwork fixedSizeNet() {
    MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(11).list()
        .layer(new ConvolutionLayer.Builder(3, 3).name("conv").nOut(4).activation(Activation.RELU).build())
        .layer(new DenseLayer.Builder().name("fc").nOut(8).activation(Activation.RELU).build())
        .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).name("classes").nOut(3)
            .activation(Activation.SOFTMAX).build())
        .setInputType(InputType.convolutional(20, 20, 3, CNN2DFormat.NHWC)).build();
    MultiLayerNetwork net = new MultiLayerNetwork(conf);
    net.init();
    return net;
  }

  @Test
  void aZipThatTakesOnlyItsOwnSizeLoadsAtTheSizeInTheOptions() throws Exception {
    MultiLayerNetwork net = fixedSizeNet();
    ByteArrayOutputStream zip = new ByteArrayOutputStream();
    ModelSerializer.writeModel(net, zip, false);
    ModelBytes bytes = ModelBytes.of("fixed.zip", zip.toByteArray());
    assertThatThrownBy(() -> open(bytes, ModelOptions.AUTO)).isInstanceOf(ModelException.class)
        .hasMessageContaining("does not record its input size").hasMessageContaining("fails at 224x224")
        .hasMessageContaining("inputSize");
    try (FeatureModel m = new Dl4jBackend().load(bytes, ModelOptions.defaults().withInputSize(20, 20))) {
      assertThat(m.info().inputShape()).containsExactly(-1, -1, -1, 3);
      assertThat(m.info().featureTensor()).isEqualTo("fc");
      assertThat(m.info().featureDim()).isEqualTo(8);
      FloatBuffer in = Fixtures.gaussian(new Random(13), 2 * 20 * 20 * 3);
      float[] got = new float[2 * 8];
      m.run(in, 2, 20, 20, got);
      float[] x = new float[2 * 20 * 20 * 3];
      in.get(0, x);
      INDArray expected = net.feedForwardToLayer(1, Nd4j.create(x, new long[] {2, 20, 20, 3}, 'c'), false).get(2);
      for (int i = 0; i < 2; i++) {
        for (int j = 0; j < 8; j++) {
          assertThat(got[i * 8 + j]).isCloseTo(expected.getFloat(i, j), within(1e-5f));
        }
      }
      assertThatThrownBy(() -> m.run(Fixtures.gaussian(new Random(1), 24 * 24 * 3), 1, 24, 24, new float[8]))
          .isInstanceOf(ModelException.class);
      // a call that failed inside DL4J leaves the thread and the replica usable: the same batch again, then
      // each of its images alone (what CnnFeaturizer does after a failed batch), give the same features
      assertThat(Nd4j.getWorkspaceManager().anyWorkspaceActiveForCurrentThread()).isFalse();
      float[] again = new float[2 * 8];
      m.run(in, 2, 20, 20, again);
      assertThat(again).containsExactly(got);
      assertThatThrownBy(() -> m.run(Fixtures.gaussian(new Random(2), 24 * 24 * 3), 1, 24, 24, new float[8]))
          .isInstanceOf(ModelException.class);
      for (int i = 0; i < 2; i++) {
        float[] alone = new float[8];
        m.run(in.slice(i * 20 * 20 * 3, 20 * 20 * 3), 1, 20, 20, alone);
        for (int j = 0; j < 8; j++) {
          assertThat(alone[j]).as("image %d alone, feature %d", i, j).isCloseTo(got[i * 8 + j], within(1e-5f));
        }
      }
    }
  }
}
