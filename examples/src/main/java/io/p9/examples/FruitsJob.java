package io.p9.examples;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.p9.core.model.ModelException;
import io.p9.core.model.ModelInfo;
import io.p9.spark.ml.CnnFeaturizer;
import io.p9.spark.ml.ImageFiles;
import io.p9.spark.ml.ImageLoadMetrics;
import io.p9.spark.ml.ImageLoader;
import io.p9.spark.ml.PcaReducer;
import io.p9.spark.ml.PcaReducerModel;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.feature.StandardScaler;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Fruits! job: image files → {@link ImageLoader} → {@link CnnFeaturizer} → scaling →
 * {@link PcaReducer} → features as Parquet and CSV, the fitted PipelineModel, a JSON report and two SVG plots:
 * {@code explained-variance.svg} (the cumulative explained variance over all components, k and the target
 * marked) and {@code pc1-pc2.svg} (the images on the first two principal components, a colour per label; a
 * seeded sample of about {@value #SCATTER_POINTS} images when there are more; not drawn when k = 1, and one
 * an earlier run left in the output folder is then deleted).
 *
 * <p>Re-runs: each output replaces an earlier run's. {@code report.json} is written last, and an earlier
 * run's is deleted before the first output is replaced: a run that fails before that leaves the earlier
 * run's files as they were; one that fails after it can leave some of each run's files, but no report.
 *
 * <p>Scaling ({@code scaler}): {@code pca} (default) standardizes inside the PCA stage
 * ({@code PcaReducer.scale}: the same maths as Spark's {@code StandardScaler(withMean, withStd)}, in the
 * same pass, and null-safe, so the saved pipeline passes kept failures through); {@code spark} uses Spark's
 * StandardScaler stage (which throws on null vectors: only use the saved model with
 * {@code handleInvalid=skip}); {@code none} skips scaling.
 *
 * <p>The CNN pass runs once: its output is persisted, the scaler and PCA are fitted on it, and the full
 * PipelineModel (loader, featurizer, fitted scaler + PCA) is assembled without recomputing anything. A
 * plain {@code Pipeline.fit} over all four stages would run the CNN once per estimator plus once for the
 * output. The PCA projection runs once too: its k-column rows are persisted for features.parquet, features.csv
 * and the PC 1 / PC 2 plot.
 *
 * <p>Failures: {@code errors.csv} has a row ({@code path}, {@code error}) per file kept without features
 * ({@code handleInvalid=keep}), its {@code REASON: message} from the loader for a file it could not decode
 * ({@code TRUNCATED: ...}) or from the featurizer for an image it cannot use ({@code INVALID_IMAGE: ...}) or
 * that the model fails on ({@code INFERENCE_FAILED: ...}; its {@code errorCol}, here {@code featurizerError},
 * also in the saved pipeline's output).
 * {@code report.json}'s {@code failuresByReason} counts each failed file once under that reason, adding up to
 * {@code failed}. Its counts come from the rows of the featurize pass, which keeps the files {@code skip} drops
 * and leaves them out of the outputs: they are exact when Spark computes partitions again (a lost executor, a
 * task or stage run again), where the stages' metrics count such a partition again.
 */
public final class FruitsJob {
  private static final Logger LOG = LoggerFactory.getLogger(FruitsJob.class);
  /** What the description of each Spark job the job runs starts with ({@link #phase}). */
  static final String PHASE = "p9 Fruits!: ";

  /**
   * What to run. {@code k > 0} fixes the number of components, else {@code variance} chooses it.
   * {@code batchSize > 0} sets the featurizer's batch size, else its default applies (8, or the batch size of
   * an ONNX model that fixes it).
   * {@code backend} is auto, onnx or dl4j; {@code preprocessing} and {@code featureTensor}, when not null,
   * override the model's sidecar and the stage defaults (a Keras MobileNetV2 .h5 needs
   * {@code preprocessing = "mobilenet"}). {@code inputSize > 0} sets the featurizer's input size (for a model
   * whose file leaves it open), else its default applies (the model's, else the sidecar's, else 224).
   * {@code pipeline}, when not null, is a saved PipelineModel, by an earlier run or any Spark job, that holds an
   * ImageLoader, a CnnFeaturizer and a PcaReducerModel in that order: it is loaded and applied, nothing is fitted
   * or saved, and only {@code input}, {@code output}, {@code batchSize}, {@code handleInvalid} and
   * {@code partitions} apply (the loaded loader and featurizer take {@code handleInvalid}, the featurizer
   * {@code batchSize} when it is above 0).
   */
  public record Options(String input, String output, String model, int k, double variance, int batchSize,
      String handleInvalid, int partitions, String scaler, String backend, String preprocessing,
      String featureTensor, int inputSize, String pipeline) {

    /**
     * Fits the pipeline (no saved one given).
     *
     * @param input the images: a file, folder or glob, local or a Hadoop URI ({@code file:}, {@code s3a:},
     *     {@code hdfs:}), folders searched recursively
     * @param output the folder, local or a Hadoop URI, that the outputs are written in
     * @param model the model file: a local path, a Hadoop URI or {@code classpath:resource}; ONNX, Keras .h5 or
     *     DL4J zip
     * @param k the number of principal components, or 0 to choose it by {@code variance}
     * @param variance when {@code k} is 0, the share of the variance, in (0, 1], to explain: the fewest
     *     components that reach it are kept
     * @param batchSize the featurizer's batch size, or 0 for its default
     * @param handleInvalid what to do with a file that cannot be decoded or featurized: {@code error} (fail),
     *     {@code skip} (drop) or {@code keep} (a row without features, in errors.csv)
     * @param partitions the number of partitions the file list is repartitioned into, or 0 for the listing's
     * @param scaler {@code pca}, {@code spark} or {@code none} (see {@link FruitsJob})
     * @param backend {@code auto} (from the model file), {@code onnx} or {@code dl4j}
     * @param preprocessing the normalization preset, or null for the sidecar's, else the stage default
     * @param featureTensor the tensor or layer whose value is the feature vector, or null for the sidecar's, else
     *     the stage default
     * @param inputSize the model's input height and width in pixels, or 0 for the model's, else the sidecar's,
     *     else 224
     */
    public Options(String input, String output, String model, int k, double variance, int batchSize,
        String handleInvalid, int partitions, String scaler, String backend, String preprocessing,
        String featureTensor, int inputSize) {
      this(input, output, model, k, variance, batchSize, handleInvalid, partitions, scaler, backend, preprocessing,
          featureTensor, inputSize, null);
    }

    /**
     * {@return the options that apply the PipelineModel saved at {@code pipeline}: the options of a fit are left
     * at their defaults}
     *
     * @param pipeline the saved PipelineModel's folder: a local path or a Hadoop URI
     * @param input the images: a file, folder or glob, local or a Hadoop URI ({@code file:}, {@code s3a:},
     *     {@code hdfs:}), folders searched recursively
     * @param output the folder, local or a Hadoop URI, that the outputs are written in
     * @param batchSize the loaded featurizer's batch size, or 0 for the one it was saved with
     * @param handleInvalid what the loaded loader and featurizer do with a file they cannot use: {@code error}
     *     (fail), {@code skip} (drop) or {@code keep} (a row without features, in errors.csv)
     * @param partitions the number of partitions the file list is repartitioned into, or 0 for the listing's
     */
    public static Options applying(String pipeline, String input, String output, int batchSize,
        String handleInvalid, int partitions) {
      return new Options(input, output, null, 0, 0, batchSize, handleInvalid, partitions, null, null, null, null, 0,
          pipeline);
    }

    /**
     * The input size from the model, its sidecar or the default.
     *
     * @param input the images: a file, folder or glob, local or a Hadoop URI ({@code file:}, {@code s3a:},
     *     {@code hdfs:}), folders searched recursively
     * @param output the folder, local or a Hadoop URI, that the outputs are written in
     * @param model the model file: a local path, a Hadoop URI or {@code classpath:resource}; ONNX, Keras .h5 or
     *     DL4J zip
     * @param k the number of principal components, or 0 to choose it by {@code variance}
     * @param variance when {@code k} is 0, the share of the variance, in (0, 1], to explain: the fewest
     *     components that reach it are kept
     * @param batchSize the featurizer's batch size, or 0 for its default
     * @param handleInvalid what to do with a file that cannot be decoded or featurized: {@code error} (fail),
     *     {@code skip} (drop) or {@code keep} (a row without features, in errors.csv)
     * @param partitions the number of partitions the file list is repartitioned into, or 0 for the listing's
     * @param scaler {@code pca}, {@code spark} or {@code none} (see {@link FruitsJob})
     * @param backend {@code auto} (from the model file), {@code onnx} or {@code dl4j}
     * @param preprocessing the normalization preset, or null for the sidecar's, else the stage default
     * @param featureTensor the tensor or layer whose value is the feature vector, or null for the sidecar's, else
     *     the stage default
     */
    public Options(String input, String output, String model, int k, double variance, int batchSize,
        String handleInvalid, int partitions, String scaler, String backend, String preprocessing,
        String featureTensor) {
      this(input, output, model, k, variance, batchSize, handleInvalid, partitions, scaler, backend, preprocessing,
          featureTensor, 0);
    }

    /**
     * Backend from the file, preprocessing and feature tensor from the sidecar or the defaults.
     *
     * @param input the images: a file, folder or glob, local or a Hadoop URI ({@code file:}, {@code s3a:},
     *     {@code hdfs:}), folders searched recursively
     * @param output the folder, local or a Hadoop URI, that the outputs are written in
     * @param model the model file: a local path, a Hadoop URI or {@code classpath:resource}; ONNX, Keras .h5 or
     *     DL4J zip
     * @param k the number of principal components, or 0 to choose it by {@code variance}
     * @param variance when {@code k} is 0, the share of the variance, in (0, 1], to explain: the fewest
     *     components that reach it are kept
     * @param batchSize the featurizer's batch size, or 0 for its default
     * @param handleInvalid what to do with a file that cannot be decoded or featurized: {@code error} (fail),
     *     {@code skip} (drop) or {@code keep} (a row without features, in errors.csv)
     * @param partitions the number of partitions the file list is repartitioned into, or 0 for the listing's
     * @param scaler {@code pca}, {@code spark} or {@code none} (see {@link FruitsJob})
     */
    public Options(String input, String output, String model, int k, double variance, int batchSize,
        String handleInvalid, int partitions, String scaler) {
      this(input, output, model, k, variance, batchSize, handleInvalid, partitions, scaler, "auto", null, null);
    }
  }

  /**
   * What happened, also written as {@code report.json}. {@code fitted}: whether this run fitted the pipeline and
   * saved it at {@code pipelineModel}; false when it loaded the one saved at {@code pipelineModel}
   * ({@link Options#pipeline}), fitted nothing and saved no pipeline: {@code k} and {@code explainedVariance}
   * are then those of that earlier fit, as saved. {@code warnings}: what about this run's input and fit the
   * numbers do not say, one sentence each: files the listing skipped as Spark's file sources do (hidden names
   * such as a camera's {@code _DSC0001.JPG}, dangling symbolic links; not Spark's own {@code _SUCCESS} and the
   * like; names not valid in the JVM's file-name encoding, which Spark skips without a word), features with no
   * variance, a k above the featurized images - 1 (these two only when this run fitted); empty when there is none.
   * {@code imagesPerSecond}: the {@code featurized} images (those that got features, not the {@code failed} files) per
   * second of the featurize pass ({@code featurizeSeconds}).
   */
  public record Report(long files, long featurized, long failed, Map<String, Long> failuresByReason,
      int featureDim, int k, double explainedVariance, double featurizeSeconds, double imagesPerSecond,
      double totalSeconds, boolean fitted, String pipelineModel, String parquet, String csv, String errors,
      String variancePlot, String scatterPlot, List<String> warnings) {}

  /**
   * An option value the job cannot run with, found while or once the model is read and before any image is (a
   * model that cannot be used with these options, a {@code k} above its feature size, an output that cannot
   * be a folder): a configuration error, as a bad value refused while parsing ({@code p9 run} exits 2, with
   * the message).
   */
  public static final class InvalidOptionException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    InvalidOptionException(String message) {
      super(message);
    }

    InvalidOptionException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * Fewer than 2 images could be featurized, so the PCA cannot be fitted: the job fails, for a reason its
   * message gives whole (the files read and the failures by reason), which {@code p9 run} prints as one line
   * with exit code 1.
   */
  public static final class TooFewImagesException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    TooFewImagesException(String message) {
      super(message);
    }
  }

  /** Points drawn at most in {@code pc1-pc2.svg}; more featurized images are sampled down to about this. */
  static final int SCATTER_POINTS = 5_000;

  /**
   * The featurizer's reason column ({@link CnnFeaturizer#errorCol()}): in the featurized rows and in the
   * output of the saved pipeline, beside the loader's {@code error}.
   */
  static final String FEATURIZER_ERROR = "featurizerError";

  private FruitsJob() {}

  /**
   * The columns the job reads: each file's {@code path}, its {@code label} (empty: none, written as null), the
   * loader's reason ({@code loaderError}), the CNN {@code features}, the featurizer's reason
   * ({@code featurizerError}) and the PCA output ({@code pca}). It writes them as {@code path}, {@code label},
   * {@code features} and {@code error}.
   */
  record Columns(String path, String label, String loaderError, String features, String featurizerError,
      String pca) {
    /** Those of the pipeline a fit builds. */
    static final Columns FIT = new Columns("path", "label", "error", "features", FEATURIZER_ERROR, "pca");
  }

  /**
   * A saved PipelineModel that the job can apply, its stages flattened (those of a nested PipelineModel in its
   * place): {@code featurize}, the stages up to the CnnFeaturizer (the ImageLoader among them), run on every file;
   * {@code reduce}, those after it up to the PcaReducerModel, run on the featurized images; and the columns the
   * job reads from them. Stages after the PcaReducerModel are not run: the job writes the PCA output.
   */
  record Saved(List<Transformer> featurize, List<Transformer> reduce, ImageLoader loader, CnnFeaturizer featurizer,
      PcaReducerModel pca, Columns columns) {}

  /** The featurizer of {@code o}, with its reason column {@link #FEATURIZER_ERROR}. */
  static CnnFeaturizer featurizer(Options o) {
    CnnFeaturizer featurizer = new CnnFeaturizer().setModelLocation(o.model()).setHandleInvalid(o.handleInvalid())
        .setErrorCol(FEATURIZER_ERROR);
    if (o.batchSize() > 0) {
      featurizer.setBatchSize(o.batchSize());
    }
    if (o.backend() != null && !"auto".equals(o.backend())) {
      featurizer.setBackend(o.backend());
    }
    if (o.preprocessing() != null) {
      featurizer.setPreprocessing(o.preprocessing());
    }
    if (o.featureTensor() != null) {
      featurizer.setFeatureTensor(o.featureTensor());
    }
    if (o.inputSize() > 0) {
      featurizer.setInputSize(o.inputSize());
    }
    return featurizer;
  }

  /**
   * The rows of the featurize pass without features, as written to {@code errors.csv}: {@code path} and
   * {@code error}, the loader's {@code REASON: message} for a file it could not decode, else the
   * featurizer's (a file the loader kept reaches the featurizer as a null image, which it reports as
   * {@code NO_IMAGE}: the loader's reason is the one that says why).
   */
  static Dataset<Row> failures(Dataset<Row> featurized, Columns c) {
    return featurized.filter(functions.col(c.features()).isNull()).select(functions.col(c.path()).as("path"),
        functions.coalesce(functions.col(c.loaderError()), functions.col(c.featurizerError())).as("error"));
  }

  /**
   * Failed files by reason, each counted once, so that the counts add up to the failed files: counted from the
   * {@code failures} rows (the reason before the first ':'), so report.json and errors.csv agree. Not from the
   * stages' metrics, which count a partition again each time Spark computes it ({@link #passHandleInvalid}).
   */
  static Map<String, Long> failuresByReason(Dataset<Row> failures) {
    Map<String, Long> reasons = new TreeMap<>();
    for (Row r : failures.groupBy(functions.substring_index(functions.col("error"), ":", 1)).count()
        .collectAsList()) {
      reasons.merge(r.getString(0), r.getLong(1), Long::sum);
    }
    return reasons;
  }

  /**
   * The {@code handleInvalid} the featurize pass runs with for the job's {@code handleInvalid}: {@code keep} for
   * {@code skip} too, so that every file the pass is done with is a row and the job's counts (files, featurized,
   * failed by reason) come from the rows, exact whatever Spark computes again. The stages' metrics count a
   * partition again each time it is computed (a lost executor's cached or shuffle-map partitions, a stage run
   * again, a speculative copy), and under {@code skip} the dropped files were counted only there. The rows
   * without features are then left out of the outputs (errors.csv too), as {@code skip} asks. One exception: the
   * loader of a loaded pipeline with a stage between it and the featurizer keeps {@code skip}, as that stage may
   * not take a row without an image; the files it drops are counted from its metrics (at least once).
   */
  static String passHandleInvalid(String handleInvalid) {
    return "skip".equals(handleInvalid) ? "keep" : handleInvalid;
  }

  /**
   * Files the featurize pass is done with: those the featurizer handled (featurized, skipped or kept with a
   * reason) and those the loader dropped under {@code handleInvalid=skip}, which never reach the featurizer.
   */
  static long filesDone(ImageLoadMetrics loader, ImageLoadMetrics featurizer) {
    return featurizer.succeeded() + featurizer.skipped() + featurizer.kept() + loader.skipped();
  }

  /**
   * Runs the job: fits the pipeline on {@code o.input()} and saves it, or, with {@link Options#pipeline}, applies
   * the saved one to {@code o.input()}; writes the features, errors, plots and report under {@code o.output()}.
   *
   * @param spark the session to run on, whose Hadoop configuration reaches the input, output and model
   * @param o what to run
   * @return what happened, as also written to {@code report.json}
   * @throws IOException if a file system call on the driver fails (checking or writing the outputs, reading a
   *     saved pipeline)
   * @throws InvalidOptionException if an option value, or a {@code spark.p9.*} setting of {@code spark}'s conf,
   *     cannot be run with, found before any image is read
   * @throws TooFewImagesException if fewer than 2 images could be featurized for a fit
   * @throws UncheckedIOException if {@code o.input()} does not exist or Hadoop cannot take it as a path, a glob in
   *     it matches nothing, or the listing fails
   */
  public static Report run(SparkSession spark, Options o) throws IOException {
    // the caller's own description of its jobs, if any, back when the job ends
    String callers = spark.sparkContext().getLocalProperty("spark.job.description");
    try {
      return runPhases(spark, o);
    } finally {
      spark.sparkContext().setJobDescription(callers);
    }
  }

  /**
   * Names the Spark jobs that follow, in the Spark UI and an EMR cluster's Spark history server, after the step
   * of the job they do: {@code p9 Fruits!: } and {@code what}, where Spark would show the call site alone.
   */
  private static void phase(SparkSession spark, String what) {
    spark.sparkContext().setJobDescription(PHASE + what);
  }

  /**
   * Refuses (as {@link InvalidOptionException}, naming the key and the value) a {@code spark.p9.*} setting of
   * {@code spark}'s conf that the listing, the read or the featurizer would refuse later, after work was done.
   */
  private static void checkSettings(SparkSession spark) {
    try {
      ImageFiles.checkSettings(spark);
      CnnFeaturizer.checkSettings(spark);
    } catch (IllegalArgumentException e) {
      throw new InvalidOptionException(e.getMessage(), e);
    }
  }

  /** {@link #run}, its Spark jobs named by {@link #phase}. */
  private static Report runPhases(SparkSession spark, Options o) throws IOException {
    long t0 = System.nanoTime();
    checkSettings(spark);
    // one listing: the files read and the progress total (counting the rows would read every file)
    ImageFiles.Listing listing = ImageFiles.listing(spark, o.input());
    LOG.info("{} files under {}", listing.size(), o.input());
    Dataset<Row> files = listing.read();
    if (o.partitions() > 0) {
      files = files.repartition(o.partitions());
    }
    if (o.pipeline() != null) {
      phase(spark, "load the pipeline " + o.pipeline());
    }
    Saved saved = o.pipeline() != null ? loadPipeline(o.pipeline()) : null;
    String pass = passHandleInvalid(o.handleInvalid());
    boolean loaderDrops = false;
    ImageLoader loader;
    CnnFeaturizer featurizer;
    List<Transformer> featurize;
    Columns c;
    int featureDim;
    if (saved != null) {
      // nothing is saved: the loaded stages run the pass
      // a stage between the loader and the featurizer gets what the job's handleInvalid gives it: no row without
      // an image under skip; the files the loader drops are then counted from its counters
      loaderDrops = saved.featurize().indexOf(saved.featurizer()) > saved.featurize().indexOf(saved.loader()) + 1
          && "skip".equals(o.handleInvalid());
      loader = saved.loader().setHandleInvalid(loaderDrops ? o.handleInvalid() : pass);
      featurizer = saved.featurizer().setHandleInvalid(pass);
      if (o.batchSize() > 0) {
        featurizer.setBatchSize(o.batchSize());
      }
      featurize = saved.featurize();
      c = saved.columns();
      featureDim = saved.pca().pc().numRows();
      checkColumns(o.pipeline(), saved, files.schema());
    } else {
      loader = new ImageLoader().setHandleInvalid(pass);
      featurizer = featurizer(o).setHandleInvalid(pass);
      featurize = List.of(loader, featurizer);
      c = Columns.FIT;
      featureDim = checkedModel(spark, featurizer, o).featureDim();
    }
    boolean outputExists = checkOutputFolder(spark, o.output());
    checkOutputOutsideInput(spark, o.input(), o.output());
    if (saved == null) {
      checkPipelineFolder(o.output());
    }
    checkOutputWritable(spark, o.output(), outputExists);

    Dataset<Row> featurized = transform(featurize, files).drop(loader.getInputCol(), loader.getOutputCol())
        .persist(StorageLevel.MEMORY_AND_DISK());
    try {
      long t1 = System.nanoTime();
      // the files and the featurized images, counted from the rows, all cached by this first pass over them
      long inputFiles;
      long ok;
      try (Progress progress = new Progress(listing.size(), () -> filesDone(loader.metrics(), featurizer.metrics()),
          () -> featurizer.metrics().succeeded(), 10_000)) {
        phase(spark, "featurize " + listing.size() + " files (read, decode, CNN)");
        Row counts = featurized.agg(functions.count(functions.lit(1)), functions.count(functions.col(c.features())))
            .head();
        inputFiles = counts.getLong(0) + (loaderDrops ? loader.metrics().skipped() : 0);
        ok = counts.getLong(1);
        progress.finish(inputFiles, ok);
      }
      double featurizeSeconds = (System.nanoTime() - t1) / 1e9;
      Dataset<Row> good = featurized.filter(functions.col(c.features()).isNotNull());
      Dataset<Row> errors = failures(featurized, c);
      phase(spark, "count the failures by reason");
      Map<String, Long> reasons = failuresByReason(errors);
      if (loaderDrops) {
        loader.metrics().failuresByReason().forEach((k, v) -> reasons.merge(k, v, Long::sum));
      }
      if (saved == null && ok < 2) {
        // files the listing skipped may be why: a folder of a camera's _DSC0001.JPG and the like
        List<String> skipped = warnings(listing, null);
        throw new TooFewImagesException("only " + ok + " of " + inputFiles + " files could be featurized under "
            + o.input() + "; PCA needs at least 2; failures by reason: " + reasons
            + (skipped.isEmpty() ? "" : "; not read: " + String.join("; ", skipped)));
      }

      if (saved == null) {
        phase(spark, "fit the PCA on " + ok + " images");
      }
      PipelineModel reducer = saved != null ? null : fitReducer(o, good);
      PcaReducerModel pcaModel = saved != null ? saved.pca() : pcaOf(reducer);
      String out = o.output().endsWith("/") ? o.output() : o.output() + "/";
      // report.json, written last, describes the files beside it: an earlier run's goes before any of them is
      // replaced, so that a run failing from here on does not leave it beside files it does not describe
      Path earlierReport = new Path(out + "report.json");
      earlierReport.getFileSystem(spark.sparkContext().hadoopConfiguration()).delete(earlierReport, false);
      String modelPath;
      if (saved != null) {
        modelPath = o.pipeline();
      } else {
        modelPath = out + "pipeline-model";
        phase(spark, "save the pipeline model");
        // All transformers: fitting this pipeline computes nothing; it just assembles the PipelineModel. Its loader
        // and featurizer handle invalid files as asked (those of the pass keep what skip drops).
        new Pipeline().setStages(new PipelineStage[] {
            loader.copy(ParamMap.empty()).setHandleInvalid(o.handleInvalid()),
            featurizer.copy(ParamMap.empty()).setHandleInvalid(o.handleInvalid()), reducer})
            .fit(files).write().overwrite().save(modelPath);
      }

      // under skip the failed files are counted, not written: errors.csv has the files kept without features
      phase(spark, "write errors.csv");
      writeCsv("skip".equals(o.handleInvalid()) ? errors.limit(0) : errors, out + "errors.csv");
      Column label = c.label().isEmpty() ? functions.lit(null).cast(DataTypes.StringType)
          : functions.col(c.label());
      // projected once for features.parquet, features.csv and the plot (each used to project the featurized rows
      // again: 3 passes); writing features.parquet computes every partition, then the featurized rows can go
      Dataset<Row> result = transform(saved != null ? saved.reduce() : List.of(reducer), good).select(
          functions.col(c.path()).as("path"), label.as("label"), functions.col(c.pca()).as("features"))
          .persist(StorageLevel.MEMORY_AND_DISK());
      String variancePlot = out + "explained-variance.svg";
      String scatterPlot = null;
      try {
        phase(spark, "write features.parquet");
        writeParquet(result, ok, pcaModel.getK(), out + "features.parquet");
        featurized.unpersist();
        List<Column> cols = new ArrayList<>(List.of(functions.col("path"), functions.col("label")));
        Column arr = org.apache.spark.ml.functions.vector_to_array(functions.col("features"), "float64");
        for (int i = 0; i < pcaModel.getK(); i++) {
          cols.add(arr.getItem(i).as("pc_" + (i + 1)));
        }
        phase(spark, "write features.csv");
        writeCsv(result.select(cols.toArray(Column[]::new)), out + "features.csv");
        // the fit's: the target it was given (none for a fixed k) and the images it was fitted on
        write(spark, variancePlot, RunPlots.variance(pcaModel.cumulativeExplainedVariance().toArray(),
            pcaModel.getK(), pcaModel.isSet(pcaModel.minExplainedVariance()) ? pcaModel.getMinExplainedVariance()
                : Double.NaN, pcaModel.numRows()));
        if (pcaModel.getK() >= 2 && ok > 0) {
          scatterPlot = out + "pc1-pc2.svg";
          phase(spark, "collect PC 1 and PC 2 for pc1-pc2.svg");
          write(spark, scatterPlot, RunPlots.scatter(firstTwoComponents(result, ok), ok));
        } else {
          // no PC 2, or no image on it: a plot an earlier run left in this folder is not this run's
          Path stale = new Path(out + "pc1-pc2.svg");
          stale.getFileSystem(spark.sparkContext().hadoopConfiguration()).delete(stale, false);
        }
      } finally {
        result.unpersist();
      }
      Report report = new Report(inputFiles, ok, inputFiles - ok, reasons,
          featureDim, pcaModel.getK(), pcaModel.totalExplainedVariance(),
          featurizeSeconds, Progress.perSecond(ok, featurizeSeconds), (System.nanoTime() - t0) / 1e9,
          saved == null, modelPath, out + "features.parquet", out + "features.csv", out + "errors.csv", variancePlot,
          scatterPlot, warnings(listing, saved == null ? pcaModel : null));
      write(spark, out + "report.json",
          new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(report));
      return report;
    } finally {
      featurized.unpersist();
    }
  }

  /**
   * The model of {@code featurizer}, read on the driver; refuses (as {@link InvalidOptionException}) a model that
   * cannot be read or used with these options, and a {@code k} above its feature dimension, before the CNN pass.
   */
  private static ModelInfo checkedModel(SparkSession spark, CnnFeaturizer featurizer, Options o) {
    ModelInfo model;
    try {
      model = featurizer.modelInfo(spark);
    } catch (ModelException e) {
      // not a model file, or options it does not fit (no such feature tensor, another backend's file)
      throw new InvalidOptionException("cannot use " + o.model() + ": " + e.getMessage(), e);
    } catch (UncheckedIOException e) {
      if (unreadable(e.getCause())) {
        // the model is not there or cannot be read: the message names the stage, the file and why
        throw new InvalidOptionException("cannot use " + o.model() + ": " + e.getMessage(), e);
      }
      throw e;
    }
    LOG.info("Model: {}", model);
    if (o.k() > model.featureDim() && model.featureDim() > 0) {
      // known now, before the CNN pass; PcaReducer would only say so after it
      throw new InvalidOptionException("k = " + o.k() + " is larger than the model's feature dimension "
          + model.featureDim() + " (" + o.model() + "): PCA gives at most that many components");
    }
    return model;
  }

  /** The scaler (if any) and PCA of {@code o}, fitted on the featurized rows {@code good}. */
  private static PipelineModel fitReducer(Options o, Dataset<Row> good) {
    PcaReducer pca = new PcaReducer().setOutputCol("pca");
    if (o.k() > 0) {
      pca.setK(o.k());
    } else {
      pca.setMinExplainedVariance(o.variance());
    }
    PipelineStage[] scaleAndReduce;
    if ("spark".equals(o.scaler())) {
      // Spark's StandardScaler throws on the null vectors of kept failures: fit and apply on good rows only.
      scaleAndReduce = new PipelineStage[] {new StandardScaler().setInputCol("features").setOutputCol("scaled")
          .setWithMean(true).setWithStd(true), pca.setInputCol("scaled")};
    } else {
      // the same standardization inside the PCA pass; null-safe, so the saved pipeline keeps failures
      scaleAndReduce = new PipelineStage[] {pca.setScale("pca".equals(o.scaler()))};
    }
    return new Pipeline().setStages(scaleAndReduce).fit(good);
  }

  /**
   * What the numbers do not say: the files {@code listing} skipped, then, where this run fitted {@code pca}
   * (else null), features with no variance and a k above the rank of the centred features.
   */
  static List<String> warnings(ImageFiles.Listing listing, PcaReducerModel pca) {
    List<String> warnings = new ArrayList<>();
    String hidden = " skipped as hidden (names starting with '.', or with '_' and holding no '=')";
    warnSkipped(warnings, listing.skippedHidden(), "file or folder" + hidden, "files or folders" + hidden,
        "; Spark's file sources skip them too: rename them to read them");
    warnSkipped(warnings, listing.skippedDangling(), "dangling symbolic link skipped (its target does not exist)",
        "dangling symbolic links skipped (their targets do not exist)", "");
    String again = " skipped as reached again through a symbolic link (each file is read once)";
    warnSkipped(warnings, listing.skippedDuplicates(), "folder or file" + again, "folders or files" + again, "");
    String encoding = System.getProperty("sun.jnu.encoding", "");
    String invalid = " not valid in this JVM's file-name encoding, " + encoding + " (neither p9 nor Spark can open ";
    warnSkipped(warnings, listing.skippedUnreadableNames(), "file or folder skipped as its name is" + invalid + "it)",
        "files or folders skipped as their names are" + invalid + "them)", encoding.equalsIgnoreCase("UTF-8")
            ? "; rename them to UTF-8 (e.g. with convmv)"
            : "; run in a UTF-8 locale (e.g. LANG=C.UTF-8): the JVM takes its file-name encoding from the locale");
    if (pca != null) {
      warnings.addAll(warnings(pca));
    }
    return warnings;
  }

  /**
   * Adds to {@code warnings}, where the listing {@code skipped} any, {@code "N <what>: <paths><then>"}: {@code what}
   * is {@code one} for a single file, else {@code many}; the paths are those {@code skipped} keeps, then "..."
   * where it skipped more.
   */
  private static void warnSkipped(List<String> warnings, ImageFiles.Skipped skipped, String one, String many,
      String then) {
    if (skipped.count() > 0) {
      warnings.add(skipped.count() + " " + (skipped.count() == 1 ? one : many) + ": "
          + String.join(", ", skipped.examples()) + (skipped.count() > skipped.examples().size() ? ", ..." : "")
          + then);
    }
  }

  /**
   * What the numbers of {@code pca}, fitted by this run, do not say: features with no variance, a k above the
   * rank of the centred features.
   */
  private static List<String> warnings(PcaReducerModel pca) {
    List<String> warnings = new ArrayList<>();
    double[] cumulative = pca.cumulativeExplainedVariance().toArray();
    if (cumulative[cumulative.length - 1] == 0) {
      // all 0 only for constant data: k is then 1 under a variance target, and no target can be reached
      int k = pca.getK();
      warnings.add("the features of the " + pca.numRows() + " featurized images have no variance (all the same"
          + " vector): " + (k == 1 ? "the 1 component explains none, its features are" : "the " + k
          + " components explain none, their features are") + " all 0"
          + (pca.isSet(pca.minExplainedVariance()) ? ", and the variance target " + pca.getMinExplainedVariance()
              + " cannot be reached" : ""));
    }
    long rank = pca.numRows() - 1;
    if (pca.getK() > rank) {
      // kept as asked: the components beyond the rank are orthogonal directions with eigenvalues of ~1e-14
      warnings.add("k = " + pca.getK() + " is above " + rank + ", the most components that the centred features of "
          + pca.numRows() + " featurized images have: " + (pca.getK() == rank + 1 ? "component " + pca.getK()
          + " carries" : "components " + (rank + 1) + " to " + pca.getK() + " carry") + " only rounding noise");
    }
    return warnings;
  }

  /** The PCA stage of a reducer: its last stage. */
  private static PcaReducerModel pcaOf(PipelineModel reducer) {
    return (PcaReducerModel) reducer.stages()[reducer.stages().length - 1];
  }

  /** {@code df} through {@code stages}, in order. */
  private static Dataset<Row> transform(List<Transformer> stages, Dataset<Row> df) {
    for (Transformer t : stages) {
      df = t.transform(df);
    }
    return df;
  }

  /**
   * The PipelineModel saved at {@code uri}, by an earlier run or any Spark job, as the job applies it. Its stages,
   * those of nested PipelineModels included, must hold one {@link ImageLoader}, one {@link CnnFeaturizer} after
   * it and one {@link PcaReducerModel} after that; other stages may sit before, between and after them. The job
   * reads its columns from their params; where the loader or the featurizer has no reason column
   * ({@code errorCol} empty), the loaded stage is given one, so that errors.csv and report.json give each failed
   * file's reason. A location with no saved pipeline, or with one the job cannot apply, is refused as
   * {@link InvalidOptionException}.
   */
  static Saved loadPipeline(String uri) throws IOException {
    PipelineModel m;
    try {
      // Spark's load would log its failure here at ERROR, stack trace and all, above the one line p9 says
      Path metadata = new Path(uri, "metadata");
      FileSystem fs = metadata.getFileSystem(SparkSession.active().sparkContext().hadoopConfiguration());
      if (!fs.exists(metadata)) {
        throw new InvalidOptionException("--pipeline " + uri + ": no saved PipelineModel can be read there (Input"
            + " path does not exist: " + fs.makeQualified(metadata) + ")");
      }
      m = PipelineModel.load(uri);
    } catch (InvalidOptionException e) {
      throw e;
    } catch (IllegalArgumentException e) {
      // Spark's metadata check: another stage saved there ("Expected class name ... but found class name ...")
      throw new InvalidOptionException("--pipeline " + uri + " is not a saved PipelineModel: " + e.getMessage(), e);
    } catch (Exception e) {
      // Hadoop's InvalidInputException (no metadata there) is a checked IOException Scala throws undeclared
      if (e instanceof org.apache.hadoop.mapred.InvalidInputException || unreadable(e)) {
        throw new InvalidOptionException("--pipeline " + uri + (globCharacters(uri) ? ": " + GLOB_FOLDER
            + ": rename or move it (" : ": no saved PipelineModel can be read there (") + e.getMessage() + ")", e);
      }
      throw e;
    }
    List<Transformer> stages = new ArrayList<>();
    flatten(m, stages);
    int l = only(stages, ImageLoader.class);
    int f = only(stages, CnnFeaturizer.class);
    int p = only(stages, PcaReducerModel.class);
    if (l < 0 || f <= l || p <= f) {
      throw new InvalidOptionException("--pipeline " + uri + " cannot be applied: it must hold one ImageLoader, a"
          + " CnnFeaturizer after it and a PcaReducerModel after that (other stages may sit between), but its"
          + " stages are " + names(m.stages()));
    }
    ImageLoader loader = (ImageLoader) stages.get(l);
    CnnFeaturizer featurizer = (CnnFeaturizer) stages.get(f);
    PcaReducerModel pca = (PcaReducerModel) stages.get(p);
    if (loader.getErrorCol().isEmpty()) {
      loader.setErrorCol("__p9_loaderError");
    }
    if (featurizer.getErrorCol().isEmpty()) {
      featurizer.setErrorCol("__p9_featurizerError");
    }
    return new Saved(List.copyOf(stages.subList(0, f + 1)), List.copyOf(stages.subList(f + 1, p + 1)), loader,
        featurizer, pca, new Columns(loader.getPathCol(), loader.getLabelCol(), loader.getErrorCol(),
            featurizer.getOutputCol(), featurizer.getErrorCol(), pca.getOutputCol()));
  }

  /** Adds the stages of {@code m} to {@code into}, those of a nested PipelineModel in its place. */
  private static void flatten(PipelineModel m, List<Transformer> into) {
    for (Transformer t : m.stages()) {
      if (t instanceof PipelineModel nested) {
        flatten(nested, into);
      } else {
        into.add(t);
      }
    }
  }

  /** The index of the one stage of type {@code type} in {@code stages}; -1 for none or several. */
  private static int only(List<Transformer> stages, Class<?> type) {
    int at = -1;
    for (int i = 0; i < stages.size(); i++) {
      if (type.isInstance(stages.get(i))) {
        if (at >= 0) {
          return -1;
        }
        at = i;
      }
    }
    return at;
  }

  /** The class names of {@code stages}, a nested PipelineModel's in parentheses after its own. */
  private static String names(Transformer[] stages) {
    List<String> names = new ArrayList<>();
    for (Transformer t : stages) {
      names.add(t.getClass().getSimpleName() + (t instanceof PipelineModel m ? "(" + names(m.stages()) + ")" : ""));
    }
    return String.join(", ", names);
  }

  /**
   * Refuses (as {@link InvalidOptionException}) a saved pipeline whose stages cannot run on the files'
   * {@code schema}: a column a stage needs that is not there or of another type, or one the job reads that the
   * stages before the featurizer drop. The stages after the featurizer see its rows without the loader's input
   * and image columns, which the job does not keep. Checked on the driver, before the CNN pass.
   */
  private static void checkColumns(String uri, Saved saved, StructType schema) {
    Columns c = saved.columns();
    try {
      StructType s = schema;
      for (Transformer t : saved.featurize()) {
        s = t.transformSchema(s);
      }
      for (String col : List.of(c.path(), c.label(), c.loaderError(), c.features(), c.featurizerError())) {
        if (!col.isEmpty() && !List.of(s.fieldNames()).contains(col)) {
          throw new IllegalArgumentException("no column '" + col + "' after CnnFeaturizer["
              + saved.featurizer().uid() + "] (columns: " + String.join(", ", s.fieldNames()) + ")");
        }
      }
      List<String> dropped = List.of(saved.loader().getInputCol(), saved.loader().getOutputCol());
      s = new StructType(java.util.Arrays.stream(s.fields()).filter(x -> !dropped.contains(x.name()))
          .toArray(StructField[]::new));
      for (Transformer t : saved.reduce()) {
        s = t.transformSchema(s);
      }
    } catch (Exception e) {
      // Spark's schema checks throw IllegalArgumentException; SQLTransformer's, an AnalysisException
      if (e instanceof IllegalArgumentException || e instanceof org.apache.spark.sql.AnalysisException) {
        throw new InvalidOptionException("--pipeline " + uri + " cannot be applied to these files: "
            + e.getMessage(), e);
      }
      throw e;
    }
  }

  /**
   * Whether {@code e}, met reading the model, says it cannot be read whatever is tried again: not there, a
   * folder or no read permission (FileNotFoundException), access denied on S3 (S3A's AccessDeniedException),
   * or a bucket that does not exist (S3A's UnknownStoreException). Other I/O failures (a dropped connection)
   * are not the user's option value.
   */
  static boolean unreadable(Throwable e) {
    return e instanceof FileNotFoundException || e instanceof java.nio.file.AccessDeniedException
        || e instanceof org.apache.hadoop.fs.s3a.UnknownStoreException;
  }

  /**
   * Refuses an {@code output} with glob characters for a fit, which saves its pipeline there: Spark's
   * {@code PipelineModel.load} reads the folder's metadata as a glob, so a pipeline saved under {@code out [1]}
   * could not be loaded again ({@code Input Pattern .../metadata matches 0 files}), nor by {@code --pipeline}.
   */
  static void checkPipelineFolder(String output) {
    if (globCharacters(output)) {
      throw new InvalidOptionException("--output " + output + ": the fitted pipeline is saved there; " + GLOB_FOLDER
          + ", so it could not be loaded again: choose a folder without them");
    }
  }

  /** Why a saved pipeline cannot be loaded from a folder whose path {@link #globCharacters} finds. */
  private static final String GLOB_FOLDER = "Spark reads a saved pipeline's folder as a glob, and this one's name holds"
      + " * ? [ ] { } or \\";

  /** Whether {@code path} holds characters that make it a glob to Hadoop. */
  private static boolean globCharacters(String path) {
    return path.matches("(?s).*[*?\\[\\]{}\\\\].*");
  }

  /**
   * Refuses an {@code output} that cannot be a folder because it, or the nearest of its parents that exists,
   * is a regular file: known before the CNN pass, where Hadoop's {@code ParentNotDirectoryException} would
   * come only at the first write, after it.
   *
   * @return whether {@code output} exists already (as a folder)
   */
  static boolean checkOutputFolder(SparkSession spark, String output) throws IOException {
    FileSystem fs = new Path(output).getFileSystem(spark.sparkContext().hadoopConfiguration());
    // qualified: a relative path's parents end at the root, not at "." over and over
    Path folder = fs.makeQualified(new Path(output));
    for (Path p = folder; p != null; p = p.getParent()) {
      FileStatus st;
      try {
        st = fs.getFileStatus(p);
      } catch (FileNotFoundException e) {
        continue;
      }
      if (st.isFile()) {
        throw new InvalidOptionException("--output " + output + ": " + st.getPath() + " is a file, not a folder");
      }
      return p.equals(folder);
    }
    return false;
  }

  /** The file {@link #checkOutputWritable} writes and deletes in the output folder: hidden, as Spark's sources see. */
  private static final String WRITE_CHECK = ".p9-write-check";

  /**
   * Refuses an {@code output} this run cannot write (a folder it may not create, or write in), known before the
   * CNN pass, where it used to fail only when the fitted pipeline was saved: writes a file in it, then deletes the
   * file, and the folder where it did not exist before ({@code existed}: {@link #checkOutputFolder}'s answer).
   */
  static void checkOutputWritable(SparkSession spark, String output, boolean existed) throws IOException {
    Path folder = new Path(output);
    FileSystem fs = folder.getFileSystem(spark.sparkContext().hadoopConfiguration());
    Path probe = new Path(folder, WRITE_CHECK);
    try {
      fs.create(probe, true).close();
    } catch (IOException e) {
      throw new InvalidOptionException("--output " + output + " cannot be written: " + e.getMessage(), e);
    }
    fs.delete(probe, false);
    if (!existed) {
      fs.delete(folder, false);
    }
  }

  /**
   * Refuses an {@code output} that is, or lies under, a folder {@code input} names (or a glob in it matches):
   * the next run over the same input would read this run's outputs (Parquet, CSV, JSON, SVG) as images,
   * failures under {@code handleInvalid=keep} and a failed job under {@code error}.
   */
  static void checkOutputOutsideInput(SparkSession spark, String input, String output) throws IOException {
    org.apache.hadoop.conf.Configuration conf = spark.sparkContext().hadoopConfiguration();
    Path out = new Path(output);
    String o = withSlash(out.getFileSystem(conf).makeQualified(out).toString());
    Path in = new Path(input);
    FileStatus[] roots = ImageFiles.matches(in.getFileSystem(conf), in);
    for (FileStatus root : roots == null ? new FileStatus[0] : roots) {
      if (root.isDirectory() && o.startsWith(withSlash(root.getPath().toString()))) {
        throw new InvalidOptionException("--output " + output + " is inside --input " + input + " ("
            + root.getPath() + "): a later run over that input would read this run's outputs as images");
      }
    }
  }

  private static String withSlash(String path) {
    return path.endsWith("/") ? path : path + "/";
  }

  /**
   * PC 1, PC 2 and the label of the {@code rows} images of {@code result} (its {@code features} column), a
   * seeded sample of about {@link #SCATTER_POINTS} when there are more.
   */
  static List<RunPlots.Point> firstTwoComponents(Dataset<Row> result, long rows) {
    Dataset<Row> shown = rows > SCATTER_POINTS ? result.sample(false, SCATTER_POINTS / (double) rows, 9L) : result;
    Column arr = org.apache.spark.ml.functions.vector_to_array(functions.col("features"), "float64");
    List<RunPlots.Point> points = new ArrayList<>();
    for (Row r : shown.select(arr.getItem(0), arr.getItem(1), functions.col("label")).collectAsList()) {
      points.add(new RunPlots.Point(r.getDouble(0), r.getDouble(1), r.isNullAt(2) ? null : r.getString(2)));
    }
    return points;
  }

  /**
   * Writes {@code rows} as one standard CSV file (RFC 4180, with a header) in the folder {@code location},
   * replacing it: a quote inside a value is doubled, a backslash is a backslash, so a path or label with a
   * quote or a backslash reads back as it is in pandas, Python's csv module or a spreadsheet (Spark's default
   * escapes a quote as {@code \"} and a backslash as {@code \\}, which these readers take literally). A space
   * at the start or end of a value is kept (Spark's writer trims them by default: a file or folder name
   * ending in a space would come back as another path or label). The rows are computed in their own
   * partitions' tasks (for features.csv, each partition's projected rows where they are cached) and
   * gathered, in {@code path} order, into the one task that writes the file ({@code coalesce(1)} would run that
   * work in the writing task too: every partition read, from every executor, and projected on one core).
   */
  static void writeCsv(Dataset<Row> rows, String location) {
    rows.repartition(1).sortWithinPartitions("path").write().mode(SaveMode.Overwrite).option("header", "true")
        .option("escape", "\"").option("ignoreLeadingWhiteSpace", "false").option("ignoreTrailingWhiteSpace", "false")
        .csv(location);
  }

  /** About the most bytes (uncompressed) a part file of features.parquet holds: Spark's own split size. */
  static final long PARQUET_FILE_BYTES = 128L << 20;

  /**
   * Writes {@code rows}, {@code count} of them with {@code k} components each, as Parquet in the folder
   * {@code location}, replacing it, in files of up to about {@link #PARQUET_FILE_BYTES} (a path and k doubles
   * a row), never more files than {@code rows} has partitions. One file per partition of the featurize pass
   * (about 128 images each) was 7,800 files of about 300 KB for a million images at k = 300, each an upload
   * and a commit on S3. The rows are computed in their partitions' tasks, then shuffled to the writers.
   */
  static void writeParquet(Dataset<Row> rows, long count, int k, String location) {
    long files = Math.max(1, (count * (8L * k + 100) + PARQUET_FILE_BYTES - 1) / PARQUET_FILE_BYTES);
    Dataset<Row> sized = files < rows.rdd().getNumPartitions() ? rows.repartition((int) files) : rows;
    sized.write().mode(SaveMode.Overwrite).parquet(location);
  }

  /** Writes {@code text} as UTF-8 to {@code location}, on any Hadoop file system, replacing it. */
  static void write(SparkSession spark, String location, String text) throws IOException {
    Path p = new Path(location);
    try (var os = p.getFileSystem(spark.sparkContext().hadoopConfiguration()).create(p, true)) {
      os.write(text.getBytes(StandardCharsets.UTF_8));
    }
  }

  /**
   * {@return a human summary of {@code r}: a line per figure and per output, then one per warning, its numbers
   * written the same in every locale ({@link Locale#ROOT})}
   *
   * @param r the report of a run
   */
  public static String summary(Report r) {
    return String.join("\n",
        "p9 Fruits! job",
        String.format(Locale.ROOT, "  files read           %d", r.files()),
        String.format(Locale.ROOT, "  featurized           %d (%d-d)", r.featurized(), r.featureDim()),
        String.format(Locale.ROOT, "  failed               %d %s", r.failed(), r.failuresByReason()),
        String.format(Locale.ROOT, "  PCA                  k = %d, explained variance %.4f%s", r.k(),
            r.explainedVariance(), r.fitted() ? "" : " (as saved)"),
        String.format(Locale.ROOT, "  featurize pass       %.1f s, %.1f images/s", r.featurizeSeconds(),
            r.imagesPerSecond()),
        String.format(Locale.ROOT, "  total                %.1f s", r.totalSeconds()),
        "  pipeline model       " + (r.fitted() ? r.pipelineModel()
            : "loaded from " + r.pipelineModel() + " (no fit; nothing saved)"),
        "  features             " + r.parquet() + " , " + r.csv(),
        "  errors               " + r.errors(),
        "  plots                " + r.variancePlot() + (r.scatterPlot() == null ? "" : " , " + r.scatterPlot()))
        + r.warnings().stream().map(w -> "\n  warning              " + w).collect(Collectors.joining());
  }
}
