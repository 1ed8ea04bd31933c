package io.p9.core.model.dl4j;

import static org.assertj.core.api.Assertions.assertThat;

import io.p9.core.image.DecodeOptions;
import io.p9.core.image.ImageDecoder;
import io.p9.core.image.PixelImage;
import io.p9.core.image.PreprocessSpec;
import io.p9.core.model.BatchFeaturizer;
import io.p9.core.model.FeatureModel;
import io.p9.core.model.ModelBackends;
import io.p9.core.model.ModelBytes;
import io.p9.core.model.ModelOptions;
import io.p9.core.model.ModelSpec;
import io.p9.core.tensor.TensorLayout;
import io.p9.core.testing.Fixtures;
import io.p9.core.testing.RepoData;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;

/**
 * p9's own CNN, trained by {@link TrainFruitsCnn} on the repository's Fruits-360 sample and committed as a
 * DL4J zip, with the same weights as Keras Sequential and Functional {@code .h5} and as ONNX.
 */
class FruitsCnnTest {
  static ModelSpec spec;
  static List<String> labels;
  static List<Path> images;
  static List<PixelImage> pixels;

  @BeforeAll
  static void readSample() throws Exception {
    spec = ModelSpec.fromJson(new String(Fixtures.bytes(TrainFruitsCnn.ZIP + ModelSpec.SIDECAR_SUFFIX),
        StandardCharsets.UTF_8));
    labels = List.of(new String(Fixtures.bytes(TrainFruitsCnn.LABELS), StandardCharsets.UTF_8).split("\n"));
    try (Stream<Path> s = Files.walk(RepoData.quickSample().resolve("Training"))) {
      images = s.filter(p -> p.toString().endsWith(".jpg")).sorted().collect(Collectors.toList());
    }
    ImageDecoder decoder = new ImageDecoder(DecodeOptions.defaults());
    pixels = new ArrayList<>();
    for (Path p : images) {
      pixels.add(decoder.decode(Files.readAllBytes(p)));
    }
  }

  static FeatureModel open(String fixture, String featureTensor) {
    ModelBytes mb = ModelBytes.of(fixture, Fixtures.bytes(fixture));
    ModelOptions o = ModelOptions.defaults().withFeatureTensor(featureTensor);
    return ModelBackends.select(o.backend(), mb).load(mb, o);
  }

  /** Row i: the model's output for sample image i, preprocessed with the sidecar's spec. */
  static float[][] run(FeatureModel m, PreprocessSpec p) {
    float[][] out = new float[pixels.size()][];
    int dim = m.info().featureDim();
    try (BatchFeaturizer bf = new BatchFeaturizer(m, p, 32)) {
      for (int start = 0; start < pixels.size(); start += 32) {
        int n = Math.min(32, pixels.size() - start);
        for (int i = 0; i < n; i++) {
          bf.add(pixels.get(start + i));
        }
        float[] f = bf.run();
        for (int i = 0; i < n; i++) {
          out[start + i] = java.util.Arrays.copyOfRange(f, i * dim, (i + 1) * dim);
        }
      }
    }
    return out;
  }

  @Test
  void theCommittedZipIsAMultiLayerNetworkWithItsPreprocessingInTheSidecar() {
    assertThat(spec.backend()).isEqualTo("dl4j");
    assertThat(spec.featureTensor()).isEqualTo("auto");
    assertThat(spec.preprocess()).isEqualTo(PreprocessSpec.preset("mobilenet", 48));
    assertThat(labels).hasSize(16).contains("Apple Braeburn 1", "Tomato Maroon 2");
    try (FeatureModel m = open(TrainFruitsCnn.ZIP, "auto")) {
      assertThat(((Dl4jFeatureModel) m).kind()).isEqualTo("DL4J MultiLayerNetwork zip");
      assertThat(m.info().inputShape()).containsExactly(-1, -1, -1, 3);
      assertThat(m.info().layout()).isEqualTo(TensorLayout.NHWC);
      assertThat(m.info().featureTensor()).isEqualTo("gap");
      assertThat(m.info().featureDim()).isEqualTo(48);
    }
  }

  @Test
  void itsClassifierRecognisesTheHeldOutFifthOfTheSample() {
    try (FeatureModel m = open(TrainFruitsCnn.ZIP, "predictions")) {
      float[][] p = run(m, spec.preprocess());
      int held = 0;
      int heldRight = 0;
      int right = 0;
      for (int i = 0; i < images.size(); i++) {
        String variety = images.get(i).getParent().getFileName().toString();
        int best = 0;
        for (int c = 1; c < p[i].length; c++) {
          best = p[i][c] > p[i][best] ? c : best;
        }
        boolean ok = labels.get(best).equals(variety);
        right += ok ? 1 : 0;
        if (i % 15 % 5 == 4) { // the trainer's split: every 5th file of each variety (15 per variety)
          held++;
          heldRight += ok ? 1 : 0;
        }
      }
      System.out.printf("FruitsCnnTest: fruits_cnn_dl4j.zip classifies %d/%d sample images, held-out %d/%d%n",
          right, images.size(), heldRight, held);
      assertThat(held).isEqualTo(48);
      assertThat((double) heldRight / held).isGreaterThanOrEqualTo(0.85);
      assertThat((double) right / images.size()).isGreaterThanOrEqualTo(0.95);
    }
  }

  @Test
  void theDl4jZipTheKerasH5sAndTheOnnxGiveTheSameFeatures() {
    float[][] zip;
    try (FeatureModel m = open(TrainFruitsCnn.ZIP, "auto")) {
      zip = run(m, spec.preprocess());
    }
    for (String twin : new String[] {"fruits_cnn_seq.h5", "fruits_cnn_func.h5", "fruits_cnn.onnx"}) {
      try (FeatureModel m = open(twin, "auto")) {
        assertThat(m.info().featureDim()).as(twin).isEqualTo(48);
        assertThat(m.info().inputShape()).as(twin).containsExactly(-1, 48, 48, 3);
        float[][] other = run(m, spec.preprocess());
        float worst = 0;
        for (int i = 0; i < zip.length; i++) {
          for (int j = 0; j < 48; j++) {
            worst = Math.max(worst, Math.abs(zip[i][j] - other[i][j]));
          }
        }
        System.out.printf("FruitsCnnTest: max |zip - %s| = %.3g over %d images%n", twin, worst, zip.length);
        assertThat(worst).as(twin).isLessThanOrEqualTo(1e-4f);
      }
    }
  }

  @Test
  void theTrainerLearns() throws Exception {
    TrainFruitsCnn.Sample s = TrainFruitsCnn.load(RepoData.quickSample(), 2);
    assertThat(s.size()).isEqualTo(32);
    DataSet train = s.subset(false);
    MultiLayerNetwork net = TrainFruitsCnn.network(s.labels().size(), 7);
    double[] scores = TrainFruitsCnn.train(net, train, 6, 7);
    assertThat(scores[5]).as("training loss, epochs 1 and 6").isLessThan(scores[0] * 0.9);
  }
}
