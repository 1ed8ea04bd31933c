package io.p9.spark.ml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.p9.core.image.DecodeOptions;
import io.p9.core.image.ImageDecoder;
import io.p9.core.image.PreprocessSpec;
import io.p9.core.model.BatchFeaturizer;
import io.p9.core.model.FeatureModel;
import io.p9.core.model.ModelBytes;
import io.p9.core.model.ModelCache;
import io.p9.core.model.ModelException;
import io.p9.core.model.ModelInfo;
import io.p9.core.model.ModelOptions;
import io.p9.core.model.dl4j.Dl4jBackend;
import io.p9.core.tensor.TensorLayout;
import io.p9.core.testing.Fixtures;
import io.p9.spark.ml.testing.Files2;
import io.p9.spark.ml.testing.RoundTrip;
import io.p9.spark.ml.testing.TestSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link CnnFeaturizer} with the Deeplearning4j backend: a Keras {@code .h5} and a DL4J zip, chosen from the
 * file ({@code backend=auto}) or by name, on several partitions of real sample images.
 */
class CnnFeaturizerDl4jTest {
  static SparkSession spark;
  @TempDir static Path tmp;
  static Dataset<Row> images;
  static String keras;
  static String kerasOnnxTwin;
  static String zip;

  @BeforeAll
  static void setUp() {
    spark = TestSpark.get();
    images = TestSpark.sampleImages(tmp.resolve("sample"), 3, 8, 5);
    assertThat(images.count()).isEqualTo(24);
    keras = Files2.write(tmp.resolve("models/tiny_mnv2.h5"), Fixtures.bytes("tiny_mnv2.h5")).toString();
    kerasOnnxTwin = Files2.write(tmp.resolve("models/tiny_mnv2.onnx"), Fixtures.bytes("tiny_mnv2.onnx")).toString();
    zip = Files2.write(tmp.resolve("models/fruits_cnn_dl4j.zip"), Fixtures.bytes("fruits_cnn_dl4j.zip")).toString();
    Files2.write(tmp.resolve("models/fruits_cnn_dl4j.zip.p9.json"), Fixtures.bytes("fruits_cnn_dl4j.zip.p9.json"));
  }

  static Map<String, double[]> byPath(CnnFeaturizer f, Dataset<Row> in) {
    Map<String, double[]> out = new HashMap<>();
    for (Row r : f.transform(in).select("path", f.getOutputCol()).collectAsList()) {
      out.put(r.getString(0), ((Vector) r.get(1)).toArray());
    }
    return out;
  }

  /** What p9-core gives for the same files, model and preprocessing, without Spark. */
  static Map<String, double[]> direct(String model, PreprocessSpec spec) throws Exception {
    return direct(model, spec, ModelOptions.defaults());
  }

  static Map<String, double[]> direct(String model, PreprocessSpec spec, ModelOptions options) throws Exception {
    ModelBytes mb = ModelBytes.of(Path.of(model).getFileName().toString(), Files.readAllBytes(Path.of(model)));
    Map<String, double[]> out = new HashMap<>();
    ImageDecoder decoder = new ImageDecoder(DecodeOptions.defaults());
    try (FeatureModel m = new Dl4jBackend().load(mb, options);
        BatchFeaturizer bf = new BatchFeaturizer(m, spec, 1)) {
      for (Row r : images.select("path").collectAsList()) {
        String path = r.getString(0);
        bf.add(decoder.decode(Files.readAllBytes(Path.of(new org.apache.hadoop.fs.Path(path).toUri()))));
        float[] f = bf.run();
        double[] d = new double[m.info().featureDim()];
        for (int i = 0; i < d.length; i++) {
          d[i] = f[i];
        }
        out.put(path, d);
      }
    }
    return out;
  }

  static double maxAbsDiff(Map<String, double[]> a, Map<String, double[]> b) {
    assertThat(a.keySet()).isEqualTo(b.keySet());
    double worst = 0;
    for (String k : a.keySet()) {
      double[] x = a.get(k);
      double[] y = b.get(k);
      assertThat(x).hasSameSizeAs(y);
      for (int i = 0; i < x.length; i++) {
        worst = Math.max(worst, Math.abs(x[i] - y[i]));
      }
    }
    return worst;
  }

  @Test
  void aKerasH5IsRecognisedAndFeaturizedWithKerasPreprocessing() throws Exception {
    CnnFeaturizer f = new CnnFeaturizer().setModelLocation(keras).setPreprocessing("mobilenet").setBatchSize(5);
    ModelInfo info = f.modelInfo(spark);
    assertThat(info.backend()).isEqualTo("dl4j");
    assertThat(info.layout()).isEqualTo(TensorLayout.NHWC);
    assertThat(info.featureDim()).isEqualTo(32);
    assertThat(f.preprocessSpec(spark)).isEqualTo(PreprocessSpec.preset("mobilenet", 32));
    Map<String, double[]> viaSpark = byPath(f, images);
    assertThat(f.metrics().succeeded()).isEqualTo(24);
    assertThat(maxAbsDiff(viaSpark, direct(keras, f.preprocessSpec(spark)))).isLessThan(1e-5);

    CnnFeaturizer onnx = new CnnFeaturizer().setModelLocation(kerasOnnxTwin).setPreprocessing("mobilenet")
        .setBatchSize(7);
    assertThat(onnx.modelInfo(spark).backend()).isEqualTo("onnx");
    double parity = maxAbsDiff(viaSpark, byPath(onnx, images));
    System.out.printf("CnnFeaturizerDl4jTest: max |DL4J - ONNX Runtime| in Spark = %.3g%n", parity);
    assertThat(parity).isLessThanOrEqualTo(1e-4);
  }

  @Test
  void aNamedFeatureMapComesInKerasOrderThroughBothBackends() {
    // tiny_mnv2's 8x8x32 map before the pooling: DL4J holds it [N, H, W, C], the ONNX twin [N, C, H, W]
    CnnFeaturizer viaDl4j = new CnnFeaturizer().setModelLocation(keras).setFeatureTensor("out_relu")
        .setPreprocessing("mobilenet").setBatchSize(5);
    CnnFeaturizer viaOnnx = new CnnFeaturizer().setModelLocation(kerasOnnxTwin).setFeatureTensor("out_relu")
        .setPreprocessing("mobilenet").setBatchSize(7);
    Map<String, double[]> maps = byPath(viaDl4j, images);
    assertThat(maps.values()).allSatisfy(v -> assertThat(v).hasSize(8 * 8 * 32));
    assertThat(maxAbsDiff(maps, byPath(viaOnnx, images))).as("max |DL4J - ONNX Runtime|").isLessThanOrEqualTo(1e-4);
  }

  @Test
  void aDl4jZipRunsAtItsSidecarSizeAndItsClassifierKnowsTheFruit() throws Exception {
    CnnFeaturizer f = new CnnFeaturizer().setModelLocation(zip).setBatchSize(4);
    assertThat(f.modelInfo(spark).inputShape()).containsExactly(-1, -1, -1, 3);
    assertThat(f.preprocessSpec(spark)).isEqualTo(PreprocessSpec.preset("mobilenet", 48));
    Map<String, double[]> features = byPath(f, images);
    assertThat(features.values()).allSatisfy(v -> assertThat(v).hasSize(48));
    assertThat(maxAbsDiff(features, direct(zip, PreprocessSpec.preset("mobilenet", 48)))).isLessThan(1e-5);

    List<String> labels = List.of(new String(Fixtures.bytes("fruits_cnn_labels.txt"),
        java.nio.charset.StandardCharsets.UTF_8).split("\n"));
    CnnFeaturizer classes = new CnnFeaturizer().setModelLocation(zip).setFeatureTensor("predictions")
        .setOutputCol("p");
    int right = 0;
    for (Map.Entry<String, double[]> e : byPath(classes, images).entrySet()) {
      double[] p = e.getValue();
      int best = 0;
      for (int c = 1; c < p.length; c++) {
        best = p[c] > p[best] ? c : best;
      }
      right += e.getKey().contains("/" + labels.get(best) + "/") ? 1 : 0;
    }
    assertThat(right).as("images whose variety the trained classifier names").isGreaterThanOrEqualTo(22);
  }

  @Test
  void aDl4jZipKeepsItsSidecarSizeWhenThePreprocessingIsSetExplicitly() {
    CnnFeaturizer f = new CnnFeaturizer().setModelLocation(zip).setPreprocessing("mobilenet");
    assertThat(f.preprocessSpec(spark)).isEqualTo(PreprocessSpec.preset("mobilenet", 48));
    assertThat(new CnnFeaturizer().setModelLocation(zip).setPreprocessing("unit").setInputSize(64)
        .preprocessSpec(spark)).as("inputSize still wins").isEqualTo(PreprocessSpec.preset("unit", 64)
        .withLayout(TensorLayout.NHWC));
  }

  @Test
  void aDl4jZipThatTakesOnlyItsOwnSizeRunsAtInputSize() throws Exception {
    // conv 3x3 → dense over the flattened 18x18 map → classes: 20x20 images and no other size
    var conf = new org.deeplearning4j.nn.conf.NeuralNetConfiguration.Builder().seed(11).list()
        .layer(new org.deeplearning4j.nn.conf.layers.ConvolutionLayer.Builder(3, 3).name("conv").nOut(4)
            .activation(org.nd4j.linalg.activations.Activation.RELU).build())
        .layer(new org.deeplearning4j.nn.conf.layers.DenseLayer.Builder().name("fc").nOut(8)
            .activation(org.nd4j.linalg.activations.Activation.RELU).build())
        .layer(new org.deeplearning4j.nn.conf.layers.OutputLayer.Builder().name("classes").nOut(3)
            .activation(org.nd4j.linalg.activations.Activation.SOFTMAX).build())
        .setInputType(org.deeplearning4j.nn.conf.inputs.InputType.convolutional(20, 20, 3,
            org.deeplearning4j.nn.conf.CNN2DFormat.NHWC)).build();
    var net = new org.deeplearning4j.nn.multilayer.MultiLayerNetwork(conf);
    net.init();
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    org.deeplearning4j.util.ModelSerializer.writeModel(net, bytes, false);
    String fixed = Files2.write(tmp.resolve("fixed/fixed20.zip"), bytes.toByteArray()).toString();

    CnnFeaturizer f = new CnnFeaturizer().setModelLocation(fixed).setPreprocessing("mobilenet").setInputSize(20)
        .setBatchSize(5);
    assertThat(f.modelInfo(spark).featureTensor()).isEqualTo("fc");
    assertThat(f.modelInfo(spark).featureDim()).isEqualTo(8);
    Map<String, double[]> features = byPath(f, images);
    assertThat(f.metrics().succeeded()).isEqualTo(24);
    assertThat(features.values()).allSatisfy(v -> assertThat(v).hasSize(8));
    assertThat(features.values()).anySatisfy(v -> assertThat(v).isNotEqualTo(new double[8]));
    assertThat(maxAbsDiff(features, direct(fixed, f.preprocessSpec(spark), ModelOptions.defaults()
        .withInputSize(20, 20)))).isLessThan(1e-5);

    // a sidecar gives the size too
    Files2.write(tmp.resolve("fixed/fixed20.zip.p9.json"), io.p9.core.model.ModelSpec.of("dl4j", "auto",
        PreprocessSpec.preset("mobilenet", 20)).toJson().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    assertThat(new CnnFeaturizer().setModelLocation(fixed).modelInfo(spark).featureDim()).isEqualTo(8);
  }

  @Test
  void oneDl4jModelPerJvmWhateverTheNumberOfPartitions() {
    long before = ModelCache.shared().modelsCreated();
    // an explicit backend and layer make a cache key no other test uses
    CnnFeaturizer f = new CnnFeaturizer().setModelLocation(keras).setBackend("dl4j")
        .setFeatureTensor("out_relu").setPreprocessing("mobilenet").setBatchSize(2);
    assertThat(f.transform(images.repartition(12)).count()).isEqualTo(24);
    assertThat(f.transform(images.repartition(3)).count()).isEqualTo(24);
    assertThat(ModelCache.shared().modelsCreated() - before).isEqualTo(1);
  }

  @Test
  void theOnnxBackendRefusesAKerasFile() {
    assertThatThrownBy(() -> new CnnFeaturizer().setModelLocation(keras).setBackend("onnx").modelInfo(spark))
        .hasMessageContaining("not an ONNX model");
  }

  @Test
  void aDl4jModelThatFailsToLoadIsNamedWithItsStage() throws Exception {
    byte[] h5 = Fixtures.bytes("tiny_seq.h5");
    Path cut = Files2.write(tmp.resolve("cut/cut.h5"), java.util.Arrays.copyOf(h5, 3000));
    CnnFeaturizer stage = new CnnFeaturizer().setModelLocation(cut.toString());
    Throwable t = catchThrowable(() -> stage.modelInfo(spark));
    assertThat(t).isInstanceOf(ModelException.class)
        .hasMessageStartingWith("CnnFeaturizer[" + stage.uid() + "]: ")
        .hasMessageContaining("is not a readable HDF5 file")
        .hasCauseInstanceOf(ModelException.class);
    assertThat(t.getMessage()).isEqualTo("CnnFeaturizer[" + stage.uid() + "]: " + t.getCause().getMessage());
  }

  @Test
  void aSavedStageCarriesTheKerasFile() throws Exception {
    Path own = tmp.resolve("own/mnv2.h5");
    Files2.write(own, Fixtures.bytes("tiny_mnv2.h5"));
    CnnFeaturizer f = new CnnFeaturizer().setModelLocation(own.toString()).setPreprocessing("mobilenet");
    Map<String, double[]> expected = byPath(f, images);
    CnnFeaturizer back = RoundTrip.saveAndLoad(f, tmp.resolve("saved"), CnnFeaturizer::load);
    Files.delete(own);
    assertThat(back.getModelLocation()).endsWith("/model/mnv2.h5");
    assertThat(maxAbsDiff(byPath(back, images), expected)).isZero();
  }
}
