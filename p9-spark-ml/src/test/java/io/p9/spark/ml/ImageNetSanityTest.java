package io.p9.spark.ml;

import static org.assertj.core.api.Assertions.assertThat;

import io.p9.core.testing.RepoData;
import io.p9.spark.ml.testing.TestSpark;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

/**
 * The model's own classifier (tensor {@code output}, no graph edit) ranks sensible ImageNet classes for
 * Fruits-360 photos: proof that decode, resize, channel order and normalization match what the model was
 * trained with (a wrong channel order or scale sends the top classes elsewhere).
 */
class ImageNetSanityTest {
  /** ImageNet classes 936-957 (cabbage ... pomegranate) plus acorn (988) and rose hip (989). */
  static boolean produce(int c) {
    return (c >= 936 && c <= 957) || c == 988 || c == 989;
  }

  @Test
  void fruitPhotosRankFruitAndVegetableClassesFirst() throws Exception {
    double rgb = share("RGB");
    double bgr = share("BGR");
    System.out.printf("[ImageNetSanityTest] share with a fruit/vegetable class in the top 5: %.1f %% with the"
        + " model's RGB order, %.1f %% with channels swapped%n", 100 * rgb, 100 * bgr);
    assertThat(rgb).isGreaterThanOrEqualTo(0.7);
    assertThat(rgb).as("the right channel order ranks produce clearly more often").isGreaterThan(bgr + 0.05);
  }

  static double share(String channelOrder) throws Exception {
    SparkSession spark = TestSpark.get();
    List<String> synset = Files.readAllLines(RepoData.imagenetSynset());
    List<Row> rows = new CnnFeaturizer().setModelLocation(RepoData.mobilenet().toString())
        .setChannelOrder(channelOrder)
        .setFeatureTensor("output").setOutputCol("logits")
        .transform(new ImageLoader().transform(
            ImageFiles.read(spark, RepoData.quickSample().resolve("Training").toString())))
        .select("label", "logits").collectAsList();
    assertThat(rows).hasSize(240);
    int withProduceInTop5 = 0;
    List<String> report = new ArrayList<>();
    for (Row r : rows) {
      double[] logits = ((Vector) r.get(1)).toArray();
      assertThat(logits).hasSize(1000);
      int[] top5 = IntStream.range(0, 1000).boxed()
          .sorted(Comparator.comparingDouble(i -> -logits[i])).limit(5).mapToInt(i -> i).toArray();
      if (IntStream.of(top5).anyMatch(ImageNetSanityTest::produce)) {
        withProduceInTop5++;
      }
      if (report.size() < 6 && r.getString(0).endsWith(" 1") && report.stream().noneMatch(
          x -> x.startsWith(r.getString(0)))) {
        report.add(r.getString(0) + " -> " + synset.get(top5[0]).substring(10) + " | "
            + synset.get(top5[1]).substring(10));
      }
    }
    double share = (double) withProduceInTop5 / rows.size();
    System.out.printf("[ImageNetSanityTest] %s: %.1f %% of 240 fruit photos have a fruit/vegetable class in"
        + " the top 5; e.g. %s%n", channelOrder, 100 * share, report);
    return share;
  }
}
