package io.p9.examples;

import static io.p9.examples.RunCommandTest.run;
import static org.assertj.core.api.Assertions.assertThat;

import io.p9.spark.ml.CnnFeaturizer;
import io.p9.spark.ml.ImageFiles;
import io.p9.spark.ml.ImageLoader;
import io.p9.spark.ml.PcaReducer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.feature.StandardScaler;
import org.apache.spark.ml.feature.SQLTransformer;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code p9 run --pipeline}: the PipelineModel an earlier {@code p9 run} saved, or one a Spark job fitted (flat or
 * nested, its own column names, other stages between), applied to other images without fitting; the options of a
 * fit refused next to it; a location without a pipeline the job can apply is a configuration error.
 */
class RunPipelineTest {
  @TempDir static Path tmp;
  static Path fitted;

  /** {@code p9 run} fits on 3 varieties x 4 images of the sample and saves its pipeline under {@code fit/}. */
  @BeforeAll
  static void fitOnSomeImages() throws Exception {
    copy(tmp.resolve("reference"), 0, 3, 4);
    fitted = tmp.resolve("fit");
    String[] err = new String[1];
    assertThat(run(err, "--input", tmp.resolve("reference").toString(), "--output", fitted.toString(), "--model",
        Fixtures.model().toString(), "--k", "3", "--master", "local[2]")).as(err[0]).isZero();
  }

  @AfterEach
  void forgetTheStoppedSession() {
    SparkSession.clearActiveSession();
    SparkSession.clearDefaultSession();
  }

  /** Copies {@code perVariety} images of each of the sample's varieties {@code from .. from + varieties - 1}. */
  private static void copy(Path dest, int from, int varieties, int perVariety) throws Exception {
    try (Stream<Path> vs = Files.list(Fixtures.repoRoot().resolve("data/fruits360-sample/Training"))) {
      for (Path v : vs.filter(Files::isDirectory).sorted().skip(from).limit(varieties).toList()) {
        Path to = Files.createDirectories(dest.resolve(v.getFileName().toString()));
        try (Stream<Path> fs = Files.list(v)) {
          for (Path f : fs.sorted().limit(perVariety).toList()) {
            Files.copy(f, to.resolve(f.getFileName().toString()));
          }
        }
      }
    }
  }

  /** The test's own Spark, started after the CLI's runs stopped theirs. */
  private static SparkSession spark() {
    return SparkSession.builder().master("local[1]").appName("p9-apply-test")
        .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1").config("spark.sql.shuffle.partitions", "2").getOrCreate();
  }

  /** path → vector of column {@code col}. */
  private static Map<String, double[]> byPath(Dataset<Row> df, String col) {
    Map<String, double[]> m = new HashMap<>();
    for (Row r : df.select("path", col).collectAsList()) {
      m.put(r.getString(0), ((Vector) r.get(1)).toArray());
    }
    return m;
  }

  @Test
  void appliesTheSavedPipelineToOtherImagesWithoutFittingOrSaving() throws Exception {
    Path photos = tmp.resolve("new-photos");
    copy(photos, 3, 2, 3);
    Path variety = Files.list(photos).sorted().findFirst().orElseThrow();
    Files.write(variety.resolve("empty.jpg"), new byte[0]);
    Path applied = tmp.resolve("applied");
    String pipeline = fitted.resolve("pipeline-model").toString();
    String[] err = new String[1];
    assertThat(run(err, "--pipeline", pipeline, "--input", photos.toString(), "--output", applied.toString(),
        "--batch-size", "2", "--master", "local[2]")).as(err[0]).isZero();

    assertThat(applied.resolve("pipeline-model")).as("no pipeline saved").doesNotExist();
    String report = Files.readString(applied.resolve("report.json"));
    String reference = Files.readString(fitted.resolve("report.json"));
    assertThat(reference).contains("\"fitted\" : true");
    assertThat(report).contains("\"fitted\" : false", "\"pipelineModel\" : \"" + pipeline + "\"", "\"k\" : 3",
        "\"files\" : 7", "\"featurized\" : 6", "\"EMPTY\" : 1",
        explainedVariance(reference));

    SparkSession spark = spark();
    try {
      Map<String, double[]> written = byPath(spark.read().parquet(applied.resolve("features.parquet").toString()),
          "features");
      Map<String, double[]> java = byPath(PipelineModel.load(pipeline).transform(ImageFiles.read(spark,
          photos.toString())).filter("pca is not null"), "pca");
      assertThat(written).hasSize(6);
      assertThat(written.keySet()).isEqualTo(java.keySet());
      written.forEach((p, v) -> assertThat(v).as(p).hasSize(3).containsExactly(java.get(p), Offset.offset(1e-6)));
      assertThat(spark.read().parquet(applied.resolve("features.parquet").toString()).columns())
          .containsExactly("path", "label", "features");
      assertThat(spark.read().option("header", "true").csv(applied.resolve("features.csv").toString()).columns())
          .containsExactly("path", "label", "pc_1", "pc_2", "pc_3");
      List<Row> errors = spark.read().option("header", "true").csv(applied.resolve("errors.csv").toString())
          .collectAsList();
      assertThat(errors).singleElement().satisfies(e -> assertThat(e.getString(1)).startsWith("EMPTY: "));
    } finally {
      spark.stop();
    }
  }

  /** {@code perVariety} images of each of 2 varieties the reference does not hold, and an empty file. */
  private static Path newPhotos(String name) throws Exception {
    Path photos = tmp.resolve(name);
    copy(photos, 3, 2, 3);
    Files.write(Files.list(photos).sorted().findFirst().orElseThrow().resolve("empty.jpg"), new byte[0]);
    return photos;
  }

  /** Fits {@code stages} on the reference images with the test's own Spark and saves them under {@code name}. */
  private static String fitAndSave(String name, PipelineStage... stages) throws Exception {
    String saved = tmp.resolve(name).toString();
    SparkSession spark = spark();
    try {
      new Pipeline().setStages(stages).fit(ImageFiles.read(spark, tmp.resolve("reference").toString())).write()
          .save(saved);
    } finally {
      spark.stop();
    }
    return saved;
  }

  /**
   * Applies {@code pipeline} to {@code photos} with p9 run into {@code name}; checks that it wrote each image's
   * PCA output (the pipeline's column {@code pcaCol}) as {@code features}, {@code k} of them, with p9 run's
   * columns, and the empty file to errors.csv under its reason; returns the rows of features.parquet.
   */
  private static List<Row> apply(String pipeline, Path photos, String name, String pcaCol, int k) throws Exception {
    Path applied = tmp.resolve(name);
    String[] err = new String[1];
    assertThat(run(err, "--pipeline", pipeline, "--input", photos.toString(), "--output", applied.toString(),
        "--master", "local[2]")).as(err[0]).isZero();
    assertThat(Files.readString(applied.resolve("report.json"))).contains("\"fitted\" : false", "\"k\" : " + k,
        "\"files\" : 7", "\"featurized\" : 6", "\"failed\" : 1", "\"EMPTY\" : 1");
    SparkSession spark = spark();
    try {
      Dataset<Row> parquet = spark.read().parquet(applied.resolve("features.parquet").toString());
      // without the empty file: a Spark StandardScalerModel throws on its null features (p9 run does not scale them)
      Map<String, double[]> java = byPath(PipelineModel.load(pipeline).transform(ImageFiles.read(spark,
          photos.toString()).filter("length > 0")), pcaCol);
      Map<String, double[]> written = byPath(parquet, "features");
      assertThat(written).hasSize(6);
      assertThat(written.keySet()).isEqualTo(java.keySet());
      written.forEach((p, v) -> assertThat(v).as(p).hasSize(k).containsExactly(java.get(p), Offset.offset(1e-6)));
      assertThat(parquet.columns()).containsExactly("path", "label", "features");
      assertThat(spark.read().option("header", "true").csv(applied.resolve("features.csv").toString()).columns())
          .hasSize(2 + k).startsWith("path", "label", "pc_1");
      List<Row> errors = spark.read().option("header", "true").csv(applied.resolve("errors.csv").toString())
          .collectAsList();
      assertThat(errors).singleElement().satisfies(e -> assertThat(e.getString(1)).startsWith("EMPTY: "));
      return parquet.collectAsList();
    } finally {
      spark.stop();
    }
  }

  /**
   * The README's pipeline, fitted in a Spark job: flat (no nested PipelineModel), the stages' default columns
   * ({@code label}, {@code error}, {@code features}, {@code pcaFeatures}) and no featurizer reason column.
   */
  @Test
  void appliesThePipelineOfASparkJob() throws Exception {
    String pipeline = fitAndSave("readme-pipeline", new ImageLoader().setHandleInvalid("keep"),
        new CnnFeaturizer().setModelLocation(Fixtures.model().toString()).setHandleInvalid("keep"),
        new PcaReducer().setScale(true).setK(2));
    List<Row> rows = apply(pipeline, newPhotos("readme-photos"), "readme-applied", "pcaFeatures", 2);
    assertThat(rows).extracting(r -> r.getString(1)).containsOnly("Apple Pink Lady 1", "Apple Red Delicious 1");
  }

  /**
   * A pipeline with its PCA in a nested PipelineModel after a StandardScalerModel, its own column names, and no
   * label or reason columns: written with a null label, and each failure with the reason the stage gives it.
   */
  @Test
  void appliesANestedPipelineWithoutLabelOrReasonColumns() throws Exception {
    String pipeline = fitAndSave("nested-pipeline", new ImageLoader().setHandleInvalid("keep").setLabelCol("")
        .setErrorCol("").setOutputCol("picture"), new CnnFeaturizer().setModelLocation(Fixtures.model().toString())
        .setInputCol("picture").setOutputCol("cnn").setHandleInvalid("keep"),
        new Pipeline().setStages(new PipelineStage[] {
            new StandardScaler().setInputCol("cnn").setOutputCol("scaled").setWithMean(true),
            new PcaReducer().setInputCol("scaled").setOutputCol("reduced").setK(3)}));
    Path photos = newPhotos("nested-photos");
    List<Row> rows = apply(pipeline, photos, "nested-applied", "reduced", 3);
    assertThat(rows).extracting(r -> r.get(1)).containsOnlyNulls();
    List<String[]> csv = FruitsJobTest.rfc4180(tmp.resolve("nested-applied/features.csv").toString());
    assertThat(csv).hasSize(1 + 6);
    assertThat(csv.subList(1, csv.size())).allSatisfy(line -> assertThat(line[1]).isEmpty());
  }

  /** Applying a fitted pipeline needs no 2 images as a fit does: one photo is featurized, a bad one accounted for. */
  @Test
  void oneNewPhotoIsEnough() throws Exception {
    Path photos = tmp.resolve("one-photo");
    copy(photos, 5, 1, 1);
    Files.write(Files.list(photos).findFirst().orElseThrow().resolve("empty.jpg"), new byte[0]);
    Path applied = tmp.resolve("applied-one");
    String[] err = new String[1];
    assertThat(run(err, "--pipeline", fitted.resolve("pipeline-model").toString(), "--input", photos.toString(),
        "--output", applied.toString(), "--master", "local[1]")).as(err[0]).isZero();
    assertThat(Files.readString(applied.resolve("report.json"))).contains("\"files\" : 2", "\"featurized\" : 1",
        "\"failed\" : 1", "\"fitted\" : false");
    assertThat(FruitsJobTest.rfc4180(applied.resolve("features.csv").toString())).hasSize(2);
  }

  /** The {@code "explainedVariance" : ...} line of a report. */
  private static String explainedVariance(String report) {
    return report.lines().filter(l -> l.contains("\"explainedVariance\"")).findFirst().orElseThrow().trim();
  }

  @Test
  void theOptionsOfAFitAreRefusedWithAPipelineBeforeSparkStarts() {
    String pipeline = fitted.resolve("pipeline-model").toString();
    String[][] cases = {{"--k", "2"}, {"--variance", "0.9"}, {"--scaler", "spark"}, {"--model",
        Fixtures.model().toString()}, {"--backend", "onnx"}, {"--preprocessing", "imagenet"}, {"--feature-tensor",
        "x"}, {"--input-size", "160"}};
    for (String[] c : cases) {
      String[] err = new String[1];
      assertThat(run(err, "--pipeline", pipeline, "--input", tmp.resolve("reference").toString(), "--output",
          tmp.resolve("refused").toString(), c[0], c[1])).as(c[0]).isEqualTo(2);
      assertThat(err[0]).as(c[0]).isEqualTo("p9: " + c[0] + " shapes the fit; with --pipeline " + pipeline
          + " the saved pipeline is applied as it is, nothing is fitted" + System.lineSeparator());
    }
    String[] err = new String[1];
    assertThat(run(err, "--pipeline", pipeline, "--input", tmp.resolve("reference").toString(), "--k", "2",
        "--scaler", "none")).isEqualTo(2);
    assertThat(err[0]).startsWith("p9: --k, --scaler shape the fit; with --pipeline ");
    assertThat(SparkSession.getActiveSession().isDefined()).isFalse();
    assertThat(tmp.resolve("refused")).doesNotExist();
  }

  @Test
  void aLocationWithoutAPipelineTheJobCanApplyIsAConfigurationError() throws Exception {
    Path saved = fitted.resolve("pipeline-model");
    Path reducer;
    try (Stream<Path> s = Files.list(saved.resolve("stages"))) {
      reducer = s.filter(p -> p.getFileName().toString().startsWith("2_")).findFirst().orElseThrow();
    }
    Path pca;
    try (Stream<Path> s = Files.list(reducer.resolve("stages"))) {
      pca = s.findFirst().orElseThrow();
    }
    // p9 run's stages with the PCA first: it reduces a column no file has yet
    Path reordered = tmp.resolve("reordered");
    // its loader reading another column than the files' content
    Path otherInput = tmp.resolve("other-input");
    // a stage before the featurizer that drops the path column, which the job writes
    Path noPath = tmp.resolve("no-path");
    SparkSession spark = spark();
    try {
      Dataset<Row> files = ImageFiles.read(spark, tmp.resolve("reference").toString());
      PipelineModel m = PipelineModel.load(saved.toString());
      new Pipeline().setStages(new PipelineStage[] {m.stages()[2], m.stages()[0],
          ((CnnFeaturizer) m.stages()[1]).copy(ParamMap.empty()).setOutputCol("cnn")})
          .fit(spark.createDataFrame(List.of(), files.schema().add("features", SQLDataTypes.VectorType())))
          .write().save(reordered.toString());
      new Pipeline().setStages(new PipelineStage[] {((ImageLoader) m.stages()[0]).copy(ParamMap.empty())
          .setInputCol("bytes"), m.stages()[1], m.stages()[2]})
          .fit(spark.createDataFrame(List.of(), files.schema().add("bytes", DataTypes.BinaryType)))
          .write().save(otherInput.toString());
      new Pipeline().setStages(new PipelineStage[] {m.stages()[0],
          new SQLTransformer().setStatement("SELECT image, label, error FROM __THIS__"), m.stages()[1],
          m.stages()[2]}).fit(files).write().save(noPath.toString());
    } finally {
      spark.stop();
    }
    Path missing = tmp.resolve("no-such-pipeline");
    // the fitted pipeline, whole, in a folder whose name Spark's load takes as a glob
    Path globbed = tmp.resolve("saved [1]");
    try (Stream<Path> s = Files.walk(saved)) {
      for (Path f : (Iterable<Path>) s::iterator) {
        Files.copy(f, globbed.resolve(saved.relativize(f).toString()));
      }
    }
    Object[][] cases = {
        {reordered, "p9: --pipeline " + reordered + " cannot be applied: it must hold one ImageLoader, a"
            + " CnnFeaturizer after it and a PcaReducerModel after that (other stages may sit between), but its"
            + " stages are PipelineModel(PcaReducerModel), ImageLoader, CnnFeaturizer"},
        {otherInput, "p9: --pipeline " + otherInput + " cannot be applied to these files: ImageLoader["},
        {noPath, "p9: --pipeline " + noPath + " cannot be applied to these files: no column 'path' after"
            + " CnnFeaturizer["},
        {missing, "p9: --pipeline " + missing + ": no saved PipelineModel can be read there (Input path does not"
            + " exist: file:" + missing + "/metadata)"},
        {globbed, "p9: --pipeline " + globbed + ": Spark reads a saved pipeline's folder as a glob, and this one's name"
            + " holds * ? [ ] { } or \\: rename or move it ("},
        {fitted.resolve("features.parquet"), "p9: --pipeline " + fitted.resolve("features.parquet")
            + ": no saved PipelineModel can be read there (Input path does not exist"},
        {pca, "p9: --pipeline " + pca + " is not a saved PipelineModel: requirement failed: Error loading metadata:"
            + " Expected class name org.apache.spark.ml.PipelineModel but found class name"
            + " io.p9.spark.ml.PcaReducerModel"},
        {reducer, "p9: --pipeline " + reducer + " cannot be applied: it must hold one ImageLoader, a CnnFeaturizer"
            + " after it and a PcaReducerModel after that (other stages may sit between), but its stages are"
            + " PcaReducerModel"}};
    for (Object[] c : cases) {
      String[] err = new String[1];
      int code = run(err, "--pipeline", c[0].toString(), "--input", tmp.resolve("reference").toString(), "--output",
          tmp.resolve("not-written").toString(), "--master", "local[1]");
      assertThat(code).as(err[0]).isEqualTo(2);
      assertThat(err[0].lines().filter(l -> l.startsWith("p9: "))).as(c[0].toString()).singleElement().asString()
          .startsWith((String) c[1]);
      assertThat(err[0]).doesNotContain("\tat ");
    }
    assertThat(tmp.resolve("not-written")).doesNotExist();
  }
}
