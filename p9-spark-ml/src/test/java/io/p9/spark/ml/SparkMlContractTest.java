package io.p9.spark.ml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p9.core.testing.RepoData;
import io.p9.spark.ml.testing.Files2;
import io.p9.spark.ml.testing.RoundTrip;
import io.p9.spark.ml.testing.TestSpark;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.apache.spark.ml.Estimator;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.attribute.AttributeGroup;
import org.apache.spark.ml.feature.VectorSlicer;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.Params;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.MetadataBuilder;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Spark ML stage contract, checked on every p9 stage the way Spark's own stages behave where the per-stage
 * test classes do not: schema errors from {@code transformSchema} before any job, {@code explainParams}, zero
 * rows, extra input columns passed through with their metadata, null input rows, and saving to a local path
 * with spaces, alone and in a PipelineModel. Uses three photos, so the CNN runs on few rows.
 */
class SparkMlContractTest {
  static SparkSession spark;
  @TempDir static Path tmp;
  static String model;
  static Dataset<Row> files;
  /** ImageLoader, CnnFeaturizer and PcaReducer(k = 2) fitted on {@link #files}. */
  static PipelineModel fitted;

  @BeforeAll
  static void setUp() {
    spark = TestSpark.get();
    model = RepoData.mobilenet().toString();
    Path sample = Files2.copySample(RepoData.quickSample().resolve("Training"), tmp.resolve("sample"), 1, 3);
    files = ImageFiles.read(spark, sample.toString()).withColumn("note", functions.lit("kept")
        .as("note", new MetadataBuilder().putString("origin", "manifest").build())).cache();
    assertThat(files.count()).isEqualTo(3);
    fitted = new Pipeline().setStages(new PipelineStage[] {new ImageLoader(),
        new CnnFeaturizer().setModelLocation(model).setBatchSize(2), new PcaReducer().setK(2)}).fit(files);
  }

  /** The jobs {@code action} starts. */
  private static int jobsDuring(Runnable action) {
    AtomicInteger jobs = new AtomicInteger();
    SparkListener listener = new SparkListener() {
      @Override
      public void onJobStart(SparkListenerJobStart start) {
        jobs.incrementAndGet();
      }
    };
    spark.sparkContext().addSparkListener(listener);
    try {
      action.run();
      spark.sparkContext().listenerBus().waitUntilEmpty();
    } catch (TimeoutException e) {
      throw new AssertionError("Spark's listener bus did not drain", e);
    } finally {
      spark.sparkContext().removeSparkListener(listener);
    }
    return jobs.get();
  }

  /** A small vector column, a null row included, for PcaReducer. */
  private static Dataset<Row> vectors() {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      rows.add(RowFactory.create(i, Vectors.dense(i, i * i, 3 - i)));
    }
    rows.add(RowFactory.create(6, null));
    StructType schema = new StructType().add("id", "int").add("features", SQLDataTypes.VectorType(), true);
    return spark.createDataFrame(rows, schema);
  }

  /**
   * A missing input column, an input of the wrong type and an output column that exists fail in
   * transformSchema with an IllegalArgumentException, and transform (fit) fails the same way before any job
   * runs, as Spark's stages do ("Output column ... already exists").
   */
  @Test
  void schemaErrorsComeFromTransformSchemaBeforeAnyJob() {
    Dataset<Row> images = new ImageLoader().transform(files);
    Dataset<Row> vecs = vectors();
    PcaReducerModel pca = new PcaReducer().setK(2).fit(vecs);
    Dataset<Row> textContent = files.withColumn("content", functions.lit("x"));
    Dataset<Row> textFeatures = vecs.withColumn("features", functions.lit("x"));
    refused(new ImageLoader().setInputCol("nope"), files, "column 'nope' does not exist");
    refused(new ImageLoader(), textContent, "column 'content' must be binary but was string");
    refused(new ImageLoader().setOutputCol("note"), files, "output column 'note' already exists");
    CnnFeaturizer cnn = new CnnFeaturizer().setModelLocation(model);
    refused(cnn.copy(new ParamMap()), files, "column 'image' does not exist");
    refused(cnn.copy(new ParamMap()).setInputCol("content"), images, "column 'content' must be struct<origin:string");
    refused(cnn.copy(new ParamMap()).setOutputCol("note"), images, "output column 'note' already exists");
    refused(new PcaReducer().setK(1).setInputCol("nope"), vecs, "column 'nope' does not exist");
    refused(new PcaReducer().setK(1), textFeatures, "column 'features' must be vector but was string");
    refused(new PcaReducer().setK(1).setOutputCol("id"), vecs, "output column 'id' already exists");
    refused(pca.copy(new ParamMap()).setInputCol("nope"), vecs, "column 'nope' does not exist");
    refused(pca, textFeatures, "column 'features' must be vector but was string");
    refused(pca.copy(new ParamMap()).setOutputCol("id"), vecs, "output column 'id' already exists");
  }

  /**
   * An input column whose name the input has twice (as after a join on an expression) is refused in
   * transformSchema, before any job, as Spark refuses to resolve it ("ambiguous"), rather than one of the two
   * read: the featurizer checked the first and read the last.
   */
  @Test
  void anInputColumnWhoseNameOccursTwiceIsRefusedAsAmbiguous() {
    Dataset<Row> images = new ImageLoader().transform(files);
    Dataset<Row> vecs = vectors();
    PcaReducerModel pca = new PcaReducer().setK(2).fit(vecs);
    String twice = "the input has 2 columns of that name";
    refused(new ImageLoader(), files.select(files.col("path"), files.col("content"), files.col("content")
        .as("content")), "column 'content' is ambiguous: " + twice);
    refused(new ImageLoader(), files.select(files.col("path"), files.col("content"), files.col("note").as("PATH")),
        "column 'path' is ambiguous: " + twice);
    refused(new CnnFeaturizer().setModelLocation(model), images.select(images.col("image"),
        images.col("content").as("image")), "column 'image' is ambiguous: " + twice);
    Dataset<Row> sameVectors = vecs.select(vecs.col("features"), vecs.col("features").as("features"));
    refused(new PcaReducer().setK(1), sameVectors, "column 'features' is ambiguous: " + twice);
    refused(pca, sameVectors, "column 'features' is ambiguous: " + twice);
  }

  private static void refused(PipelineStage stage, Dataset<Row> in, String message) {
    assertThatThrownBy(() -> stage.transformSchema(in.schema())).as("%s transformSchema", stage)
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(message);
    Runnable run = stage instanceof Estimator<?> e ? () -> e.fit(in)
        : () -> ((Transformer) stage).transform(in).collect();
    assertThat(jobsDuring(() -> assertThatThrownBy(run::run).as("%s on the data", stage)
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(message)))
        .as("jobs before %s refused the schema", stage).isZero();
  }

  /** explainParams lists every param, one line each, as "name: doc (default: ..., current: ...)". */
  @Test
  void explainParamsListsEveryParamWithItsDocAndValue() {
    PcaReducer est = new PcaReducer().setK(2);
    List<Params> stages = List.of(new ImageLoader().setHandleInvalid("keep"),
        new CnnFeaturizer().setModelLocation(model), est, est.fit(vectors()));
    for (Params stage : stages) {
      String[] lines = stage.explainParams().split("\n");
      Param<?>[] params = stage.params();
      assertThat(lines).as("%s", stage).hasSize(params.length);
      for (int i = 0; i < params.length; i++) {
        assertThat(lines[i]).as("%s", stage).startsWith(params[i].name() + ": " + params[i].doc());
        if (stage.isDefined(params[i])) {
          assertThat(lines[i]).as("%s", stage).containsAnyOf("(default: ", "(current: ");
        }
      }
    }
  }

  /** ImageLoader's transformSchema is the schema its transform gives, metadata and nullability included. */
  @Test
  void imageLoaderTransformSchemaIsTheSchemaOfItsOutput() {
    List<ImageLoader> loaders = List.of(new ImageLoader(), new ImageLoader().setHandleInvalid("keep"),
        new ImageLoader().setHandleInvalid("skip").setErrorCol("").setLabelCol(""),
        new ImageLoader().setOutputCol("img").setLabelCol("y").setErrorCol("why"));
    for (ImageLoader loader : loaders) {
      Dataset<Row> out = loader.transform(files);
      assertThat(out.schema()).as(loader.explainParams()).isEqualTo(loader.transformSchema(files.schema()));
      assertThat(out.count()).isEqualTo(3);
    }
  }

  /**
   * A pipeline of the three stages takes 0 rows to 0 rows with the schema its transformSchema gives, and passes
   * extra input columns through with their values and metadata.
   */
  @Test
  void zeroRowsAndExtraColumnsThroughEveryStage() {
    Dataset<Row> none = files.limit(0);
    Dataset<Row> out = fitted.transform(none);
    assertThat(out.collectAsList()).isEmpty();
    assertThat(out.schema()).isEqualTo(fitted.transformSchema(none.schema()));
    Dataset<Row> all = fitted.transform(files);
    assertThat(all.schema()).isEqualTo(fitted.transformSchema(files.schema()));
    assertThat(all.schema().apply("note").metadata()).isEqualTo(files.schema().apply("note").metadata());
    assertThat(all.select("note").distinct().collectAsList()).containsExactly(RowFactory.create("kept"));
    assertThat(AttributeGroup.fromStructField(all.schema().apply("pcaFeatures")).size()).isEqualTo(2);
  }

  /**
   * One fitted PipelineModel, and one just loaded (its featurizer not resolved yet), each transform from two
   * threads at once (a driver serving requests, CrossValidator's parallel evaluations) as they do from one.
   */
  @Test
  void aPipelineModelTransformsFromTwoThreadsAtOnce() throws Exception {
    List<Row> expected = fitted.transform(files).select("path", "pcaFeatures").orderBy("path").collectAsList();
    String path = tmp.resolve("threads/pipeline").toString();
    fitted.write().save(path);
    PipelineModel loaded = PipelineModel.load(path);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      CyclicBarrier start = new CyclicBarrier(4);
      List<Future<List<Row>>> runs = new ArrayList<>();
      for (PipelineModel m : List.of(fitted, fitted, loaded, loaded)) {
        runs.add(pool.submit(() -> {
          start.await();
          return m.transform(files).select("path", "pcaFeatures").orderBy("path").collectAsList();
        }));
      }
      for (Future<List<Row>> run : runs) {
        assertThat(run.get()).isEqualTo(expected);
      }
    } finally {
      pool.shutdown();
    }
  }

  /** As Spark's transformers, transformSchema and transform start no job: the rows are computed by actions. */
  @Test
  void transformSchemaAndTransformStartNoJob() {
    CnnFeaturizer cnn = new CnnFeaturizer().setModelLocation(model).setOutputCol("cnn");
    assertThat(jobsDuring(() -> {
      fitted.transformSchema(files.schema());
      Dataset<Row> out = fitted.transform(files);
      cnn.transformSchema(out.schema());
      cnn.transform(out);
      new ImageLoader().setOutputCol("again").setLabelCol("label2").setErrorCol("").transform(out);
    })).isZero();
    assertThat(jobsDuring(files::count)).as("an action, counted").isPositive();
  }

  /**
   * The vector sizes recorded in the schema reach the stages downstream, as from Spark's PCA: VectorSlicer
   * refuses an index past them before any row is computed, and records the size of its own output.
   */
  @Test
  void downstreamStagesReadTheVectorSizesFromTheSchema() {
    Dataset<Row> out = fitted.transform(files);
    for (String col : List.of("features", "pcaFeatures")) {
      int size = AttributeGroup.fromStructField(out.schema().apply(col)).size();
      VectorSlicer past = new VectorSlicer().setInputCol(col).setOutputCol("sliced").setIndices(new int[] {size});
      assertThat(jobsDuring(() -> assertThatThrownBy(() -> past.transform(out))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("invalid for only " + size + " input features"))).as(col).isZero();
    }
    Dataset<Row> first = new VectorSlicer().setInputCol("pcaFeatures").setOutputCol("sliced")
        .setIndices(new int[] {0}).transform(out);
    assertThat(AttributeGroup.fromStructField(first.schema().apply("sliced")).size()).isEqualTo(1);
  }

  /**
   * Stages are Serializable, as Spark's Params are: a stage that went through Java serialization (a closure, a
   * CrossValidator's parallel fits) transforms as the original does.
   */
  @Test
  void stagesTransformAlikeAfterJavaSerialization() throws Exception {
    PipelineModel back = javaRoundTrip(fitted);
    for (int i = 0; i < fitted.stages().length; i++) {
      assertThat(back.stages()[i].uid()).isEqualTo(fitted.stages()[i].uid());
      assertThat(back.stages()[i].extractParamMap().toString())
          .isEqualTo(fitted.stages()[i].extractParamMap().toString());
    }
    assertThat(back.transform(files).drop("content").orderBy("path").collectAsList())
        .isEqualTo(fitted.transform(files).drop("content").orderBy("path").collectAsList());
  }

  @SuppressWarnings("unchecked")
  private static <T> T javaRoundTrip(T o) throws IOException, ClassNotFoundException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(o);
    }
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      return (T) in.readObject();
    }
  }

  /**
   * Loading a folder saved by another stage class fails naming both classes, as Spark's readers refuse
   * ("Expected class name ... but found class name ...").
   */
  @Test
  void loadingAnotherStagesFolderNamesBothClasses() throws IOException {
    String loader = tmp.resolve("other/loader").toString();
    new ImageLoader().write().save(loader);
    String est = tmp.resolve("other/pca").toString();
    new PcaReducer().setK(1).write().save(est);
    assertThatThrownBy(() -> CnnFeaturizer.load(loader)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(ImageLoader.class.getName()).hasMessageContaining(CnnFeaturizer.class.getName());
    assertThatThrownBy(() -> PcaReducerModel.load(est)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(PcaReducer.class.getName()).hasMessageContaining(PcaReducerModel.class.getName());
    assertThatThrownBy(() -> ImageLoader.load(est)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(PcaReducer.class.getName()).hasMessageContaining(ImageLoader.class.getName());
  }

  /**
   * Null rows where the input columns are nullable: a null content is an image that could not be read
   * (EMPTY); a null path decodes, with no origin and no label.
   */
  @Test
  void imageLoaderTakesNullPathsAndContents() {
    Row one = files.orderBy("path").select("path", "content").head();
    StructType schema = new StructType().add("path", DataTypes.StringType, true)
        .add("content", DataTypes.BinaryType, true);
    Dataset<Row> in = spark.createDataFrame(List.of(RowFactory.create(null, one.get(1)),
        RowFactory.create(one.getString(0), null), RowFactory.create(null, null)), schema);
    List<Row> out = new ImageLoader().setHandleInvalid("keep").transform(in)
        .select("path", "image.origin", "image.width", "label", "error").collectAsList();
    assertThat(out).containsExactly(RowFactory.create(null, null, 100, null, null),
        RowFactory.create(one.getString(0), null, null, one.getString(0).replaceAll(".*/(.*)/[^/]*$", "$1"),
            "EMPTY: no content"),
        RowFactory.create(null, null, null, null, "EMPTY: no content"));
  }

  /**
   * Every stage, and a PipelineModel of them, saves to a plain local path with spaces (no URI escaping), refuses
   * to save over it without overwrite as Spark does, saves over it with overwrite, and loads back giving the
   * same output.
   */
  @Test
  void everyStageSavesToALocalPathWithSpaces() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("saved stages/with spaces"));
    List<Row> expected = fitted.transform(files).drop("content").orderBy("path").collectAsList();
    PipelineModel pm = saved(fitted, dir, PipelineModel::load);
    assertThat(pm.transform(files).drop("content").orderBy("path").collectAsList()).isEqualTo(expected);

    ImageLoader loader = new ImageLoader().setHandleInvalid("keep");
    ImageLoader loaderBack = saved(loader, dir, ImageLoader::load);
    Dataset<Row> images = loaderBack.transform(files);
    assertThat(images.drop("content").orderBy("path").collectAsList())
        .isEqualTo(loader.transform(files).drop("content").orderBy("path").collectAsList());
    CnnFeaturizer cnn = saved((CnnFeaturizer) fitted.stages()[1], dir, CnnFeaturizer::load);
    assertThat(cnn.getModelLocation()).contains("with spaces");
    assertThat(cnn.transform(images).select("path", "features").orderBy("path").collectAsList())
        .isEqualTo(pm.transform(files).select("path", "features").orderBy("path").collectAsList());
    Dataset<Row> vecs = vectors();
    PcaReducer est = saved(new PcaReducer().setK(2), dir, PcaReducer::load);
    assertThat(est.getK()).isEqualTo(2);
    PcaReducerModel m = est.fit(vecs);
    assertThat(saved(m, dir, PcaReducerModel::load).transform(vecs).orderBy("id").collectAsList())
        .isEqualTo(m.transform(vecs).orderBy("id").collectAsList());
  }

  /** {@link RoundTrip#saveAndLoad} at a plain local path under {@code dir} with a space in its last name. */
  private static <T extends PipelineStage> T saved(T stage, Path dir, Function<String, T> load) {
    String path = dir.resolve(stage.getClass().getSimpleName() + " " + stage.uid()).toString();
    T back = RoundTrip.saveAndLoad(stage, path, load);
    assertThat(Files.isDirectory(Path.of(path, "metadata"))).as("saved at %s", path).isTrue();
    return back;
  }
}
