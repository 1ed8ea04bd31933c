package io.p9.spark.ml;

import io.p9.core.image.ChannelOrder;
import io.p9.core.image.Interpolation;
import io.p9.core.image.Normalization;
import io.p9.core.image.PreprocessSpec;
import io.p9.core.image.ResizeMode;
import io.p9.core.model.FeatureModel;
import io.p9.core.model.ModelBackend;
import io.p9.core.model.ModelBackends;
import io.p9.core.model.ModelBytes;
import io.p9.core.model.ModelCache;
import io.p9.core.model.ModelException;
import io.p9.core.model.ModelInfo;
import io.p9.core.model.ModelKey;
import io.p9.core.model.ModelOptions;
import io.p9.core.model.ModelSpec;
import io.p9.core.model.ThreadBudget;
import io.p9.core.tensor.ElementType;
import io.p9.core.tensor.TensorLayout;
import io.p9.spark.ml.internal.CountsAccumulator;
import io.p9.spark.ml.internal.FeaturizePartition;
import io.p9.spark.ml.internal.HadoopFiles;
import io.p9.spark.ml.internal.ModelBroadcasts;
import io.p9.spark.ml.internal.P9Reader;
import io.p9.spark.ml.internal.P9Writer;
import io.p9.spark.ml.internal.ParamExplanations;
import io.p9.spark.ml.internal.SchemaChecks;
import io.p9.spark.ml.internal.Validators;
import java.io.FileNotFoundException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.attribute.AttributeGroup;
import org.apache.spark.ml.image.ImageSchema;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.param.DoubleArrayParam;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Turns images into CNN feature vectors: the image struct column (from {@link ImageLoader} or
 * {@code spark.read.format("image")}) → {@code features} ({@code VectorUDT}, e.g. 1280 values for
 * MobileNetV2), added to the input columns, which keep their metadata (ML attributes, a stream's watermark).
 *
 * <p><b>Model.</b> {@code modelLocation} is a local path, any Hadoop URI ({@code s3a://}, {@code hdfs://})
 * or {@code classpath:...}. It is read and validated on the driver (input name, layout and size, the
 * feature tensor, its size), first by {@code transformSchema}, which records the feature size in the output
 * column's ML attribute group as {@code transform} does; its bytes are broadcast once per SparkContext (the
 * copies of a stage in a parameter grid, {@code copy} and {@code transform(ds, paramMap)} share the read of
 * the file, once per length and modification time, and the broadcast of its bytes), and each executor JVM
 * opens one model for all its task threads ({@link ModelCache}, keyed by the model's sha256 and load
 * options). A task holds the model until it ends; of the models no task holds, each JVM keeps as many as the
 * Spark conf {@value #MODEL_CACHE_MAX_IDLE} says, when it is set (else the cache's own bound, default
 * {@value ModelCache#DEFAULT_MAX_IDLE}), and closes the least recently used others. A JSON sidecar
 * {@code <model>.p9.json} ({@link ModelSpec}) next to the model supplies its preprocessing and feature tensor.
 * Precedence: a param set explicitly, then the sidecar, then the param's default. Only a sidecar that is not
 * there means none: one that is there but cannot be read (a directory, a file this JVM may not open, an I/O
 * error) or parsed fails on the driver, naming the stage and the sidecar.
 *
 * <p><b>Backends.</b> {@code backend} = {@code auto} picks the backend from the file: ONNX Runtime for
 * {@code .onnx}, Deeplearning4j for DL4J model zips and Keras {@code .h5} (Sequential or Functional; DL4J is
 * an optional dependency the application adds, see p9's docs/dl4j.md). A Keras model reads NHWC input, which
 * the layout follows; its scaling is the preprocessing preset's ({@code mobilenet} for Keras MobileNet and
 * MobileNetV2). A DL4J zip does not record its input size, and an ONNX model may leave its height and width
 * dynamic ([n,3,h,w] or [n,h,w,3], as PyTorch exports with {@code dynamic_axes} on them or tf2onnx of a Keras
 * model built with {@code input_shape=(None, None, 3)} give): the size comes from {@code inputSize}, else the
 * sidecar (also when {@code preprocessing} is set), else 224; the model is loaded for that size (it learns
 * its feature size there, so a network with a dense layer after a flatten runs at its own size) and run
 * once at it on the driver. An ONNX model then reports that size in {@link #modelInfo} (e.g.
 * {@code [-1, 3, 160, 160]}) and the images are resized to it; the size is saved with the stage.
 *
 * <p><b>Preprocessing</b> ({@code preprocessing}, {@code inputSize}, {@code channelOrder}, {@code layout},
 * {@code resizeMode}, {@code cropFraction}, {@code interpolation}, {@code mean}/{@code std} for
 * {@code custom}) is resolved against the model and saved with the stage.
 *
 * <p><b>Input types.</b> An ONNX model's image input may be float32, float16 (e.g. converted with
 * onnxconverter-common's {@code convert_float_to_float16} without {@code keep_io_types}), float64 or uint8
 * ({@link ModelInfo#inputType()}); the preprocessed floats are converted for it (float16: nearest, ties to
 * even). A uint8 input takes the pixels 0..255 themselves (a model that normalizes inside): its
 * {@code preprocessing} defaults to {@code raw} when neither the param nor a sidecar gives one (the resized
 * samples are rounded to integers, as a uint8 resize gives them), and a {@code preprocessing} (or sidecar
 * normalization) that maps the pixels elsewhere is refused on the driver, naming it, rather than clamped.
 *
 * <p><b>Execution.</b> Partitions are processed in batches of {@code batchSize}, decoded pixels going
 * straight into one reusable direct buffer. An ONNX model exported with a fixed batch dimension B (e.g.
 * [1,3,224,224] from PyTorch without {@code dynamic_axes}; {@link ModelInfo#fixedBatch()}) runs each batch in
 * calls of B images, the last one padded, with the features of any batch size; unless {@code batchSize} is set
 * the batches then hold B images (not 8), so none is padded. A {@code batchSize} set explicitly is kept; a
 * multiple of B avoids the padding. {@code intraOpThreads} = 0 (default) gives each inference
 * {@code executorCores / concurrentTasks} threads so tasks do not oversubscribe the cores.
 * {@code handleInvalid} decides what happens to rows with a null or unusable image, or an image the model
 * fails on: {@code error} (default) fails with a {@link FeaturizeException} naming the origin, {@code skip}
 * drops, {@code keep} outputs null features; {@link #metrics()} counts each by reason: {@code NO_IMAGE} (a null
 * image, e.g. a file {@link ImageLoader} kept with its own error, or the invalid image row, size -1 x -1 and
 * mode -1, that {@code spark.read.format("image")} keeps for a file it cannot decode), {@code UNSUPPORTED_MODE}
 * (an OpenCV mode other than 8-bit CV_8UC1/3/4), {@code INVALID_IMAGE} (a null height, width, nChannels or mode in a
 * hand-built image struct, a channel count other than 1, 3 or 4, a zero size, or data that does not match the
 * size), {@code INFERENCE_FAILED} (the model throws when it runs the image alone).
 *
 * <p><b>When the model fails.</b> If the model throws for a batch, {@code error} fails the task with a
 * {@link FeaturizeException} naming the stage and the origins of the batch's images, the model's exception as
 * the cause. {@code skip} and {@code keep} run the batch's images again one at a time: an image that runs
 * alone gets the features it gets in any batch, and one that fails alone is an {@code INFERENCE_FAILED} row (its reason
 * {@code INFERENCE_FAILED: } and the model's message). But a model that fails on everything must not turn a
 * data set into nulls: when an image fails alone, the stage also runs a blank image (black, preprocessed like
 * the others), and if the model fails on that too the task fails, naming the model, whatever
 * {@code handleInvalid} says. The blank image runs at most once per partition while the model takes it; the
 * verdict rests on it alone (a model that runs a black image but fails on every other one gives a row per
 * image, each counted as {@code INFERENCE_FAILED}). Batches that run do none of this. Only exceptions are
 * handled: a JVM error (e.g. out of memory) fails the task as before.
 *
 * <p>{@code errorCol} (default empty: no column) adds a string column after the features:
 * {@code REASON: message} for a row kept without features, the reason named as in the metrics (e.g.
 * {@code INVALID_IMAGE: 100x0x3 with 0 bytes}, {@code INFERENCE_FAILED: ONNX Runtime failed on model ...}),
 * and null for every other row (under {@code skip} and {@code error} no such row is output). It must differ
 * from {@code outputCol} and from the input columns (ignoring case unless {@code spark.sql.caseSensitive}).
 * Works on streaming DataFrames.
 *
 * <p><b>Persistence.</b> Saving copies the model bytes and the resolved preprocessing into the stage folder, so a saved
 * pipeline runs on another machine without the original model path (and a stage without {@code modelLocation} cannot be
 * saved: the error names it). The bytes saved are those of the model the stage last resolved at its
 * {@code modelLocation} (its {@code transformSchema}, {@code transform} or {@link #modelInfo}; {@code Pipeline.fit}
 * resolves every stage), which it keeps in driver memory with their broadcast, even if the file was replaced or deleted
 * since; a stage that has not resolved its model reads the file when it is saved. So a fitted PipelineModel can be
 * saved with {@code write().overwrite()} over the folder that holds its featurizer's model file, which Spark deletes
 * before any stage writes; Spark calls nothing on the stages before that, so a featurizer there that has not resolved
 * its model fails, naming the model file, which is gone then. A loaded stage keeps the model bytes it read in driver
 * memory and runs from them, so it (or a pipeline holding it) can be saved over its own folder; a stage saved alone
 * reads its model before the overwrite deletes the folder. A stage saved before {@code errorCol} existed loads with it
 * empty, so its output columns stay what they were.
 */
public final class CnnFeaturizer extends Transformer implements MLWritable {
  private static final long serialVersionUID = 1L;
  static final String MODEL_DIR = "model";
  /**
   * The Spark conf key of how many models that no task holds each JVM of the application keeps (an integer
   * &ge; 0; {@link ModelCache#setMaxIdle}). Read from the session's conf when the stage transforms, so
   * {@code spark.conf.set} at run time works too; the driver applies it to its own JVM and each task to its
   * executor's. Left unset, each JVM's cache keeps its bound: {@value ModelCache#DEFAULT_MAX_IDLE}, or what
   * {@code ModelCache.shared().setMaxIdle} set in that JVM, or the value last applied there.
   */
  public static final String MODEL_CACHE_MAX_IDLE = "spark.p9.modelCache.maxIdle";

  /** The stage's unique id. */
  private final String uid;
  /** The param {@link #inputCol()}. */
  private final Param<String> inputCol;
  /** The param {@link #outputCol()}. */
  private final Param<String> outputCol;
  /** The param {@link #modelLocation()}. */
  private final Param<String> modelLocation;
  /** The param {@link #backend()}. */
  private final Param<String> backend;
  /** The param {@link #featureTensor()}. */
  private final Param<String> featureTensor;
  /** The param {@link #preprocessing()}. */
  private final Param<String> preprocessing;
  /** The param {@link #inputSize()}. */
  private final IntParam inputSize;
  /** The param {@link #channelOrder()}. */
  private final Param<String> channelOrder;
  /** The param {@link #layout()}. */
  private final Param<String> layout;
  /** The param {@link #resizeMode()}. */
  private final Param<String> resizeMode;
  /** The param {@link #cropFraction()}. */
  private final DoubleParam cropFraction;
  /** The param {@link #interpolation()}. */
  private final Param<String> interpolation;
  /** The param {@link #mean()}. */
  private final DoubleArrayParam mean;
  /** The param {@link #std()}. */
  private final DoubleArrayParam std;
  /** The param {@link #batchSize()}. */
  private final IntParam batchSize;
  /** The param {@link #intraOpThreads()}. */
  private final IntParam intraOpThreads;
  /** The param {@link #handleInvalid()}. */
  private final Param<String> handleInvalid;
  /** The param {@link #errorCol()}. */
  private final Param<String> errorCol;
  private transient ImageLoadMetrics metrics;
  private transient Resolved resolved;
  private transient Loaded loaded;

  /** A stage with a random uid ({@code cnnFeaturizer_...}) and the default params; set {@code modelLocation}. */
  public CnnFeaturizer() {
    this(Identifiable.randomUID("cnnFeaturizer"));
  }

  /**
   * A stage with the default params; set {@code modelLocation}.
   *
   * @param uid its unique id
   */
  public CnnFeaturizer(String uid) {
    this.uid = uid;
    inputCol = new Param<>(this, "inputCol", "input image column (Spark image struct)");
    outputCol = new Param<>(this, "outputCol", "output feature vector column");
    modelLocation = new Param<>(this, "modelLocation",
        "model file: local path, Hadoop URI (s3a://, hdfs://) or classpath:resource",
        Validators.nonBlank());
    backend = new Param<>(this, "backend", "model backend: auto (from the file), onnx or dl4j",
        ParamValidators.inArray(new String[] {"auto", "onnx", "dl4j"}));
    featureTensor = new Param<>(this, "featureTensor",
        "tensor or layer whose value is the feature vector, or auto (the input of the final classifier;"
            + " for an ONNX model without one, its output if that is a global pooling)",
        Validators.nonBlank());
    preprocessing = new Param<>(this, "preprocessing",
        "normalization preset: imagenet, mobilenet ([-1,1]), caffe, unit ([0,1]), raw ([0,255]) or custom"
            + " (mean/std on [0,1]); unset: the model sidecar's, else raw for a uint8 model input, else imagenet",
        ParamValidators.inArray(new String[] {"imagenet", "mobilenet", "caffe", "unit", "raw", "custom"}));
    inputSize = new IntParam(this, "inputSize",
        "model input height and width in pixels; 0 takes it from the model, else the sidecar, else 224 (>= 0)",
        ParamValidators.gtEq(0));
    channelOrder = new Param<>(this, "channelOrder", "channel order the model expects: auto, RGB or BGR",
        ParamValidators.inArray(new String[] {"auto", "RGB", "BGR"}));
    layout = new Param<>(this, "layout", "tensor layout: auto (from the model input), NCHW or NHWC",
        ParamValidators.inArray(new String[] {"auto", "NCHW", "NHWC"}));
    resizeMode = new Param<>(this, "resizeMode",
        "stretch to the input size, or center_crop (keep aspect, crop the centre)",
        ParamValidators.inArray(new String[] {"stretch", "center_crop"}));
    cropFraction = new DoubleParam(this, "cropFraction",
        "for center_crop: fraction of the shorter side the crop covers (0, 1]",
        ParamValidators.inRange(0.0, 1.0, false, true));
    interpolation = new Param<>(this, "interpolation", "resampling filter: nearest, bilinear or bicubic",
        ParamValidators.inArray(new String[] {"nearest", "bilinear", "bicubic"}));
    mean = new DoubleArrayParam(this, "mean", "custom per-channel mean, RGB order, on [0,1]",
        Validators.<double[]>of(a -> a.length == 3));
    std = new DoubleArrayParam(this, "std", "custom per-channel std, RGB order, on [0,1] (> 0)",
        Validators.<double[]>of(a -> a.length == 3 && a[0] > 0 && a[1] > 0 && a[2] > 0));
    batchSize = new IntParam(this, "batchSize", "images per batch (> 0); unset: 8, or B for an ONNX model"
        + " with a fixed batch dimension B", ParamValidators.gt(0));
    intraOpThreads = new IntParam(this, "intraOpThreads",
        "threads per inference call; 0 = executor cores / concurrent tasks (>= 0)", ParamValidators.gtEq(0));
    handleInvalid = new Param<>(this, "handleInvalid",
        "rows with a null or unusable image, or an image the model fails on: error (fail), skip (drop) or keep"
            + " (null features)",
        ParamValidators.inArray(new String[] {"error", "skip", "keep"}));
    errorCol = new Param<>(this, "errorCol",
        "output column with the reason a row kept under handleInvalid=keep has null features (REASON: message),"
            + " null for the other rows; empty for none");
    setDefault(inputCol, "image");
    setDefault(outputCol, "features");
    setDefault(backend, "auto");
    setDefault(featureTensor, ModelOptions.AUTO);
    setDefault(preprocessing, "imagenet");
    setDefault(inputSize, 0);
    setDefault(channelOrder, "auto");
    setDefault(layout, "auto");
    setDefault(resizeMode, "stretch");
    setDefault(cropFraction, 0.875);
    setDefault(interpolation, "bilinear");
    setDefault(batchSize, 8);
    setDefault(intraOpThreads, 0);
    setDefault(handleInvalid, "error");
    setDefault(errorCol, "");
  }

  @Override
  public String uid() {
    return uid;
  }

  // ---- params (each: accessor, getter, setter) ----

  /** {@return the param {@code inputCol}: the input image column (Spark image struct) (default {@code image})} */
  public Param<String> inputCol() {
    return inputCol;
  }

  /** {@return the input image column (Spark image struct) (default {@code image})} */
  public String getInputCol() {
    return $(inputCol);
  }

  /**
   * Sets the input image column (Spark image struct).
   *
   * @param v a column of Spark image structs
   * @return this stage
   */
  public CnnFeaturizer setInputCol(String v) {
    set(inputCol, v);
    return this;
  }

  /** {@return the param {@code outputCol}: the output feature vector column (default {@code features})} */
  public Param<String> outputCol() {
    return outputCol;
  }

  /** {@return the output feature vector column (default {@code features})} */
  public String getOutputCol() {
    return $(outputCol);
  }

  /**
   * Sets the output feature vector column.
   *
   * @param v a column name the input does not have
   * @return this stage
   */
  public CnnFeaturizer setOutputCol(String v) {
    set(outputCol, v);
    return this;
  }

  /**
   * {@return the param {@code modelLocation}: the model file: a local path, a Hadoop URI ({@code s3a://},
   * {@code hdfs://}) or {@code classpath:resource}}
   */
  public Param<String> modelLocation() {
    return modelLocation;
  }

  /**
   * {@return the model file: a local path, a Hadoop URI ({@code s3a://}, {@code hdfs://}) or
   * {@code classpath:resource}}
   */
  public String getModelLocation() {
    return $(modelLocation);
  }

  /**
   * Sets the model file: a local path, a Hadoop URI ({@code s3a://}, {@code hdfs://}) or {@code classpath:resource}.
   *
   * @param v the model file
   * @return this stage
   */
  public CnnFeaturizer setModelLocation(String v) {
    set(modelLocation, v);
    resolved = null;
    return this;
  }

  /**
   * {@return the param {@code backend}: the model backend: {@code auto} (from the file), {@code onnx} or {@code dl4j}
   * (default {@code auto})}
   */
  public Param<String> backend() {
    return backend;
  }

  /** {@return the model backend: {@code auto} (from the file), {@code onnx} or {@code dl4j} (default {@code auto})} */
  public String getBackend() {
    return $(backend);
  }

  /**
   * Sets the model backend: {@code auto} (from the file), {@code onnx} or {@code dl4j}.
   *
   * @param v {@code auto}, {@code onnx} or {@code dl4j}
   * @return this stage
   */
  public CnnFeaturizer setBackend(String v) {
    set(backend, v);
    return this;
  }

  /**
   * {@return the param {@code featureTensor}: the tensor or layer whose value is the feature vector, or {@code auto}:
   * the input of the final classifier (for an ONNX model without one, its output if that is a global pooling) (default
   * {@code auto})}
   */
  public Param<String> featureTensor() {
    return featureTensor;
  }

  /**
   * {@return the tensor or layer whose value is the feature vector, or {@code auto}: the input of the final classifier
   * (for an ONNX model without one, its output if that is a global pooling) (default {@code auto})}
   */
  public String getFeatureTensor() {
    return $(featureTensor);
  }

  /**
   * Sets the tensor or layer whose value is the feature vector, or {@code auto}: the input of the final classifier (for
   * an ONNX model without one, its output if that is a global pooling).
   *
   * @param v a tensor or layer name, or {@code auto}
   * @return this stage
   */
  public CnnFeaturizer setFeatureTensor(String v) {
    set(featureTensor, v);
    return this;
  }

  /**
   * {@return the param {@code preprocessing}: the normalization preset: {@code imagenet}, {@code mobilenet},
   * {@code caffe}, {@code unit}, {@code raw} or {@code custom} ({@code mean}/{@code std}); where it is not set, the
   * model sidecar's, else {@code raw} for a uint8 model input, else {@code imagenet}}
   */
  public Param<String> preprocessing() {
    return preprocessing;
  }

  /**
   * {@return the normalization preset set, else {@code imagenet}} Where it is not set, the stage applies the model
   * sidecar's, else {@code raw} for a uint8 model input, else {@code imagenet}: {@link #preprocessSpec} tells which.
   */
  public String getPreprocessing() {
    return $(preprocessing);
  }

  /**
   * Sets the normalization preset, which then wins over the model sidecar's.
   *
   * @param v {@code imagenet}, {@code mobilenet}, {@code caffe}, {@code unit}, {@code raw} or {@code custom}
   *     ({@code mean}/{@code std})
   * @return this stage
   */
  public CnnFeaturizer setPreprocessing(String v) {
    set(preprocessing, v);
    return this;
  }

  /**
   * {@return the param {@code inputSize}: the model input height and width in pixels; 0 takes it from the model, else
   * the sidecar, else 224 (default 0)}
   */
  public IntParam inputSize() {
    return inputSize;
  }

  /**
   * {@return the model input height and width in pixels; 0 takes it from the model, else the sidecar, else 224
   * (default 0)}
   */
  public int getInputSize() {
    return (Integer) $(inputSize);
  }

  /**
   * Sets the model input height and width in pixels; 0 takes it from the model, else the sidecar, else 224.
   *
   * @param v the size in pixels (&ge; 0)
   * @return this stage
   */
  public CnnFeaturizer setInputSize(int v) {
    set(inputSize, v);
    return this;
  }

  /**
   * {@return the param {@code channelOrder}: the channel order the model expects: {@code auto}, {@code RGB} or
   * {@code BGR} (default {@code auto})}
   */
  public Param<String> channelOrder() {
    return channelOrder;
  }

  /** {@return the channel order the model expects: {@code auto}, {@code RGB} or {@code BGR} (default {@code auto})} */
  public String getChannelOrder() {
    return $(channelOrder);
  }

  /**
   * Sets the channel order the model expects: {@code auto}, {@code RGB} or {@code BGR}.
   *
   * @param v {@code auto}, {@code RGB} or {@code BGR}
   * @return this stage
   */
  public CnnFeaturizer setChannelOrder(String v) {
    set(channelOrder, v);
    return this;
  }

  /**
   * {@return the param {@code layout}: the tensor layout: {@code auto} (from the model input), {@code NCHW} or
   * {@code NHWC} (default {@code auto})}
   */
  public Param<String> layout() {
    return layout;
  }

  /**
   * {@return the tensor layout: {@code auto} (from the model input), {@code NCHW} or {@code NHWC} (default
   * {@code auto})}
   */
  public String getLayout() {
    return $(layout);
  }

  /**
   * Sets the tensor layout: {@code auto} (from the model input), {@code NCHW} or {@code NHWC}.
   *
   * @param v {@code auto}, {@code NCHW} or {@code NHWC}; one other than the model input's is refused
   * @return this stage
   */
  public CnnFeaturizer setLayout(String v) {
    set(layout, v);
    return this;
  }

  /**
   * {@return the param {@code resizeMode}: how images are resized: {@code stretch} to the input size, or
   * {@code center_crop} (keep the aspect ratio, crop the centre) (default {@code stretch})}
   */
  public Param<String> resizeMode() {
    return resizeMode;
  }

  /**
   * {@return how images are resized: {@code stretch} to the input size, or {@code center_crop} (keep the aspect ratio,
   * crop the centre) (default {@code stretch})}
   */
  public String getResizeMode() {
    return $(resizeMode);
  }

  /**
   * Sets how images are resized: {@code stretch} to the input size, or {@code center_crop} (keep the aspect ratio, crop
   * the centre).
   *
   * @param v {@code stretch} or {@code center_crop}
   * @return this stage
   */
  public CnnFeaturizer setResizeMode(String v) {
    set(resizeMode, v);
    return this;
  }

  /**
   * {@return the param {@code cropFraction}: the fraction of the shorter side that the crop covers, for
   * {@code center_crop} (default 0.875)}
   */
  public DoubleParam cropFraction() {
    return cropFraction;
  }

  /** {@return the fraction of the shorter side that the crop covers, for {@code center_crop} (default 0.875)} */
  public double getCropFraction() {
    return (Double) $(cropFraction);
  }

  /**
   * Sets the fraction of the shorter side that the crop covers, for {@code center_crop}.
   *
   * @param v the fraction, in (0, 1]
   * @return this stage
   */
  public CnnFeaturizer setCropFraction(double v) {
    set(cropFraction, v);
    return this;
  }

  /**
   * {@return the param {@code interpolation}: the resampling filter: {@code nearest}, {@code bilinear} or
   * {@code bicubic} (default {@code bilinear})}
   */
  public Param<String> interpolation() {
    return interpolation;
  }

  /**
   * {@return the resampling filter: {@code nearest}, {@code bilinear} or {@code bicubic} (default {@code bilinear})}
   */
  public String getInterpolation() {
    return $(interpolation);
  }

  /**
   * Sets the resampling filter: {@code nearest}, {@code bilinear} or {@code bicubic}.
   *
   * @param v {@code nearest}, {@code bilinear} or {@code bicubic}
   * @return this stage
   */
  public CnnFeaturizer setInterpolation(String v) {
    set(interpolation, v);
    return this;
  }

  /** {@return the param {@code mean}: the per-channel mean for {@code preprocessing=custom}, RGB order, on [0,1]} */
  public DoubleArrayParam mean() {
    return mean;
  }

  /** {@return the per-channel mean for {@code preprocessing=custom}, RGB order, on [0,1]} */
  public double[] getMean() {
    return $(mean);
  }

  /**
   * Sets the per-channel mean for {@code preprocessing=custom}, RGB order, on [0,1]; with {@code preprocessing}
   * not set, the stage refuses it on the driver rather than ignore it (another preset set wins over it).
   *
   * @param v three values
   * @return this stage
   */
  public CnnFeaturizer setMean(double[] v) {
    set(mean, v);
    return this;
  }

  /**
   * {@return the param {@code std}: the per-channel standard deviation for {@code preprocessing=custom}, RGB order, on
   * [0,1]}
   */
  public DoubleArrayParam std() {
    return std;
  }

  /** {@return the per-channel standard deviation for {@code preprocessing=custom}, RGB order, on [0,1]} */
  public double[] getStd() {
    return $(std);
  }

  /**
   * Sets the per-channel standard deviation for {@code preprocessing=custom}, RGB order, on [0,1]; with
   * {@code preprocessing} not set, the stage refuses it on the driver rather than ignore it (another preset set
   * wins over it).
   *
   * @param v three values &gt; 0
   * @return this stage
   */
  public CnnFeaturizer setStd(double[] v) {
    set(std, v);
    return this;
  }

  /**
   * {@return the param {@code batchSize}: the images per batch; where it is not set, 8, or B for an ONNX model with a
   * fixed batch dimension B}
   */
  public IntParam batchSize() {
    return batchSize;
  }

  /**
   * {@return the images per batch set, else 8} Where it is not set, an ONNX model with a fixed batch dimension B runs
   * batches of B.
   */
  public int getBatchSize() {
    return (Integer) $(batchSize);
  }

  /**
   * Sets the images per batch; a multiple of a fixed batch dimension B of an ONNX model avoids padding.
   *
   * @param v the images per batch (&gt; 0)
   * @return this stage
   */
  public CnnFeaturizer setBatchSize(int v) {
    set(batchSize, v);
    return this;
  }

  /**
   * {@return the param {@code intraOpThreads}: the threads per inference call; 0 for the executor's cores over its
   * concurrent tasks (default 0)}
   */
  public IntParam intraOpThreads() {
    return intraOpThreads;
  }

  /** {@return the threads per inference call; 0 for the executor's cores over its concurrent tasks (default 0)} */
  public int getIntraOpThreads() {
    return (Integer) $(intraOpThreads);
  }

  /**
   * Sets the threads per inference call; 0 for the executor's cores over its concurrent tasks.
   *
   * @param v the threads (&ge; 0)
   * @return this stage
   */
  public CnnFeaturizer setIntraOpThreads(int v) {
    set(intraOpThreads, v);
    return this;
  }

  /**
   * {@return the param {@code handleInvalid}: what happens to rows with a null or unusable image, or an image the model
   * fails on: {@code error} (fail), {@code skip} (drop) or {@code keep} (null features) (default {@code error})}
   */
  public Param<String> handleInvalid() {
    return handleInvalid;
  }

  /**
   * {@return what happens to rows with a null or unusable image, or an image the model fails on: {@code error} (fail),
   * {@code skip} (drop) or {@code keep} (null features) (default {@code error})}
   */
  public String getHandleInvalid() {
    return $(handleInvalid);
  }

  /**
   * Sets what happens to rows with a null or unusable image, or an image the model fails on: {@code error} (fail),
   * {@code skip} (drop) or {@code keep} (null features).
   *
   * @param v {@code error}, {@code skip} or {@code keep}
   * @return this stage
   */
  public CnnFeaturizer setHandleInvalid(String v) {
    set(handleInvalid, v);
    return this;
  }

  /**
   * {@return the param {@code errorCol}: the output string column with the reason why a row kept under
   * {@code handleInvalid=keep} has null features ({@code REASON: message}), empty for none (default empty)}
   */
  public Param<String> errorCol() {
    return errorCol;
  }

  /**
   * {@return the output string column with the reason why a row kept under {@code handleInvalid=keep} has null features
   * ({@code REASON: message}), empty for none (default empty)}
   */
  public String getErrorCol() {
    return $(errorCol);
  }

  /**
   * Sets the output string column with the reason why a row kept under {@code handleInvalid=keep} has null features
   * ({@code REASON: message}), empty for none.
   *
   * @param v a column name the input does not have, or empty
   * @return this stage
   */
  public CnnFeaturizer setErrorCol(String v) {
    set(errorCol, v);
    return this;
  }

  /**
   * As Spark's, but the values of {@code mean} and {@code std} show as their elements ({@code [0.5,0.5,0.5]}),
   * not as the arrays' identity ({@code [D@1a2b3c}).
   *
   * @param param a param of this stage
   * @return {@code name: doc (default: ..., current: ...)}, or {@code (undefined)} in place of the values
   */
  @Override
  public String explainParam(Param<?> param) {
    return ParamExplanations.explain(this, param);
  }

  /**
   * {@return the counters of the most recent {@link #transform} of this stage (null before the first one)} They
   * are this stage's own: {@code transform(dataset, paramMap)} runs a copy of the stage, which keeps the counters
   * (to read them, transform with {@code c = copy(paramMap)} and ask {@code c}); and of two transforms started at
   * once on one stage, this gives the later one's, so give each thread a copy of its own.
   */
  public ImageLoadMetrics metrics() {
    return metrics;
  }

  // ---- schema and transform ----

  @Override
  public StructType transformSchema(StructType schema) {
    checkColumns(schema);
    // the feature size in the column's ML attribute group, as transform gives it: the model is resolved here
    // (once: transform finds it resolved)
    return outputSchema(schema, resolve(SparkSession.active().sparkContext()));
  }

  /** The schema checks of {@link #transformSchema}, which need no model. */
  private void checkColumns(StructType schema) {
    requireModelLocation();
    SchemaChecks.require(this, schema, getInputCol(), ImageSchema.columnSchema());
    SchemaChecks.requireNewColumns(this, schema,
        getErrorCol().isEmpty() ? List.of(getOutputCol()) : List.of(getOutputCol(), getErrorCol()));
  }

  /** {@code schema} with the output column (its vector size from {@code r}) and the error column, if any. */
  private StructType outputSchema(StructType schema, Resolved r) {
    StructType out = schema.add(new StructField(getOutputCol(), SQLDataTypes.VectorType(), true,
        new AttributeGroup(getOutputCol(), r.info().featureDim()).toMetadata()));
    return getErrorCol().isEmpty() ? out : out.add(getErrorCol(), DataTypes.StringType, true);
  }

  @Override
  public Dataset<Row> transform(Dataset<?> dataset) {
    // transformSchema's checks and schema with one resolve (its stamp reads the model file's status)
    checkColumns(dataset.schema());
    SparkContext sc = dataset.sparkSession().sparkContext();
    int maxIdle = modelCacheMaxIdle(dataset.sparkSession());
    Resolved r = resolve(sc);
    StructType out = outputSchema(dataset.schema(), r);

    CountsAccumulator acc = new CountsAccumulator();
    sc.register(acc, SchemaChecks.name(this) + " counts");
    metrics = new ImageLoadMetrics(acc);

    FeaturizePartition fn = new FeaturizePartition(SchemaChecks.name(this), r.broadcast(), r.bytes().name(),
        r.key(), r.spec(), batchSizeFor(r.info()), dataset.schema().fieldIndex(getInputCol()), getHandleInvalid(),
        !getErrorCol().isEmpty(), maxIdle, acc);
    // the row encoder drops the metadata of every field (the input columns' ML attributes, e.g. a
    // StringIndexer's labels, and the output's vector size), nested ones too: the rows are encoded under
    // positional names, then each column gets its name and metadata back, by position since an input may repeat
    // a name (a join), and a column whose type lost the metadata of its nested fields is cast back to its type
    StructField[] fields = out.fields();
    StructType positional = new StructType();
    for (int i = 0; i < fields.length; i++) {
      positional = positional.add("_" + i, fields[i].dataType(), fields[i].nullable());
    }
    Dataset<Row> encoded = dataset.toDF().mapPartitions(fn, Encoders.row(positional));
    StructField[] got = encoded.schema().fields();
    Column[] named = new Column[fields.length];
    for (int i = 0; i < fields.length; i++) {
      Column c = functions.col("_" + i);
      if (!got[i].dataType().equals(fields[i].dataType())) {
        c = c.cast(fields[i].dataType());
      }
      named[i] = c.as(fields[i].name(), fields[i].metadata());
    }
    return encoded.select(named);
  }

  /**
   * The images per batch for {@code info}: {@code batchSize} if set, else the model's fixed batch if it has
   * one (a batch of B runs in one call, unpadded), else the default.
   */
  int batchSizeFor(ModelInfo info) {
    return isSet(batchSize) || info.fixedBatch() == 0 ? getBatchSize() : info.fixedBatch();
  }

  /**
   * {@return what the model this stage runs takes and gives, resolved and validated on the driver} The model is
   * read and loaded there once per file version and params (as {@code transformSchema} does).
   *
   * @param spark the session whose SparkContext broadcasts the model and whose Hadoop conf reads it
   */
  public ModelInfo modelInfo(SparkSession spark) {
    return resolve(spark.sparkContext()).info();
  }

  /**
   * {@return the preprocessing this stage applies, resolved against the model} Params set explicitly, then the
   * model sidecar, then the defaults.
   *
   * @param spark the session whose SparkContext broadcasts the model and whose Hadoop conf reads it
   */
  public PreprocessSpec preprocessSpec(SparkSession spark) {
    return resolve(spark.sparkContext()).spec();
  }

  /**
   * The model as the stage resolved it: {@code file} the model and sidecar bytes it ran (what its writer saves),
   * {@code settings} the SparkContext, location and params it was resolved under, {@code files} the version of
   * the files (their stamps, or the hashes of bytes held in memory).
   */
  private record Resolved(String location, ModelBroadcasts.ModelFile file, ModelKey key, ModelInfo info,
      PreprocessSpec spec, Broadcast<byte[]> broadcast, String settings, String files) {

    ModelBytes bytes() {
      return file.bytes();
    }
  }

  /**
   * The model file and sidecar as {@link #read()} found them under the stage folder. A stage still pointing
   * there runs from these bytes, so that saving it over its own folder (which Spark deletes first) works.
   */
  private record Loaded(String location, ModelBroadcasts.ModelFile file) {}

  /** Fails naming this stage if {@code modelLocation} is not set (Spark's own error names neither). */
  private void requireModelLocation() {
    if (!isDefined(modelLocation)) {
      throw new IllegalArgumentException(SchemaChecks.name(this) + ": modelLocation is not set");
    }
  }

  /** The model at {@code modelLocation}: the bytes {@link #read()} loaded if it points there, else the file's. */
  private synchronized Resolved resolve(SparkContext sc) {
    requireModelLocation();
    return resolve(sc, loaded != null && loaded.location().equals(getModelLocation()) ? loaded.file() : null);
  }

  /**
   * The model this stage saves: the one it last resolved at its {@code modelLocation}, though the file has been
   * replaced or deleted since (resolved again from those bytes if params or SparkContext changed since), else
   * the model {@link #resolve(SparkContext)} gives.
   */
  private synchronized Resolved resolveForSave(SparkContext sc) {
    requireModelLocation();
    return resolved != null && resolved.location().equals(getModelLocation()) ? resolve(sc, resolved.file())
        : resolve(sc);
  }

  /** The model at {@code modelLocation}, from {@code mem} if not null (bytes held for it), else from the files. */
  private synchronized Resolved resolve(SparkContext sc, ModelBroadcasts.ModelFile mem) {
    Configuration conf = sc.hadoopConfiguration();
    String location = getModelLocation();
    // the same files (length and time, or the bytes held), params and SparkContext: nothing to read, hash or
    // broadcast again
    String files = mem != null
        ? mem.bytes().sha256() + "|" + (mem.sidecar() == null ? "absent" : ModelBytes.sha256(mem.sidecar()))
        : modelIo(() -> HadoopFiles.stamp(location, conf)) + "|" + sidecarIo(location, () -> HadoopFiles.stamp(
            location + ModelSpec.SIDECAR_SUFFIX, conf));
    // the model's bytes and broadcast are shared with the other stages of the SparkContext (copies of this one)
    ModelBroadcasts models = ModelBroadcasts.of(sc);
    String settings = models.id() + "|" + location + "|" + extractParamMap() + "|" + defaultThreads(sc.getConf());
    if (resolved != null && resolved.settings().equals(settings)
        && (resolved.files().equals(files) || resolved.file() == mem)) {
      return resolved;
    }
    ModelBroadcasts.ModelFile file = mem != null ? mem
        : models.read(location, files, () -> new ModelBroadcasts.ModelFile(
            ModelBytes.of(HadoopFiles.fileName(location), modelIo(() -> HadoopFiles.read(location, conf))),
            sidecarIo(location, () -> HadoopFiles.readIfExists(location + ModelSpec.SIDECAR_SUFFIX, conf))));
    ModelBytes mb = file.bytes();
    byte[] sidecarBytes = file.sidecar();
    ModelSpec sidecar = sidecarBytes == null ? null : sidecar(location, sidecarBytes);

    String be = isSet(backend) || sidecar == null ? getBackend() : sidecar.backend();
    String tensor = isSet(featureTensor) || sidecar == null ? getFeatureTensor() : sidecar.featureTensor();
    int threads = getIntraOpThreads() > 0 ? getIntraOpThreads() : defaultThreads(sc.getConf());
    // the key holds only what changes the loaded model, so that one model file is one model per JVM whether a
    // sidecar names its backend or size or not: the backend the file selects ('auto' and its name are one
    // model), and a size only for a file that may not fix it (a DL4J zip, an ONNX model with dynamic height and
    // width: it runs at that size)
    ModelBackend selected = loading(() -> ModelBackends.select(be, mb));
    String chosen = selected.name();
    int[] size = loading(() -> models.recordsInputSize(selected, mb)) ? new int[] {0, 0} : requestedSize(sidecar);
    ModelKey key = new ModelKey(mb.sha256(), new ModelOptions(chosen, tensor, threads, false, size[0], size[1]));
    ModelInfo info;
    PreprocessSpec spec;
    // released at once: the executors lease the model themselves, and here it may stay cached as an idle model
    try (ModelCache.Lease lease = loading(() -> ModelCache.shared().acquire(key, () -> mb))) {
      info = lease.model().info();
      spec = resolveSpec(sidecar, info);
      if (info.inputHeight() <= 0 || info.inputWidth() <= 0) {
        checkDynamicSize(lease.model(), spec);
      }
    }
    resolved = new Resolved(location, file, key, info, spec, models.broadcast(mb), settings, files);
    return resolved;
  }

  /** The sidecar of the model at {@code location}; a sidecar p9 cannot read is named in the error. */
  private ModelSpec sidecar(String location, byte[] json) {
    try {
      return ModelSpec.fromJson(new String(json, StandardCharsets.UTF_8));
    } catch (ModelException e) {
      throw new ModelException(SchemaChecks.name(this) + ": model sidecar " + location
          + ModelSpec.SIDECAR_SUFFIX + ": " + e.getMessage(), e);
    }
  }

  /**
   * {@code io} on the sidecar of the model at {@code location}; a sidecar that is there but cannot be read (a
   * directory, no permission, an I/O error) fails naming this stage and the sidecar, as one that cannot be
   * parsed does, rather than be taken for an absent one.
   */
  private <T> T sidecarIo(String location, Supplier<T> io) {
    try {
      return io.get();
    } catch (UncheckedIOException e) {
      throw new ModelException(SchemaChecks.name(this) + ": model sidecar " + location
          + ModelSpec.SIDECAR_SUFFIX + ": " + e.getMessage(), e);
    }
  }

  /**
   * {@code io} on the model file; a file that is not there or cannot be read fails naming this stage, as a
   * model that fails to load does, and stays an I/O error with the same cause, so that callers can still tell
   * a missing or forbidden file from a transient failure.
   */
  private <T> T modelIo(Supplier<T> io) {
    try {
      return io.get();
    } catch (UncheckedIOException e) {
      throw new UncheckedIOException(SchemaChecks.name(this) + ": " + e.getMessage(), e.getCause());
    }
  }

  /**
   * {@code load}, a step of choosing or loading the model on the driver; its failure (not a model file, a
   * damaged one, no such feature tensor) is rethrown naming this stage, so that the stage that failed in a
   * Pipeline is known, with the backend's message after the stage's name and its exception as the cause.
   */
  private <T> T loading(Supplier<T> load) {
    try {
      return load.get();
    } catch (RuntimeException e) {
      throw FeaturizePartition.loadFailed(SchemaChecks.name(this), e);
    }
  }

  /**
   * {@link #MODEL_CACHE_MAX_IDLE} in {@code spark}'s conf, applied to this JVM's model cache; -1 if it is not
   * set, and then the cache keeps its bound.
   *
   * @throws IllegalArgumentException naming the stage and the key if it is not an integer &ge; 0
   */
  private int modelCacheMaxIdle(SparkSession spark) {
    int n;
    try {
      n = checkSettings(spark);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(SchemaChecks.name(this) + ": " + e.getMessage(), e);
    }
    if (n >= 0) {
      ModelCache.shared().setMaxIdle(n);
    }
    return n;
  }

  /**
   * Checks {@link #MODEL_CACHE_MAX_IDLE} in {@code spark}'s conf as {@link #transform} does, without applying it:
   * an application can refuse a bad value before it starts any work.
   *
   * @param spark the session whose conf holds it
   * @return its value, or -1 if it is not set
   * @throws IllegalArgumentException naming the key and the value if it is not an integer &ge; 0
   */
  public static int checkSettings(SparkSession spark) {
    if (!spark.conf().contains(MODEL_CACHE_MAX_IDLE)) {
      return -1;
    }
    String value = spark.conf().get(MODEL_CACHE_MAX_IDLE);
    int n;
    try {
      n = Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      n = -1;
    }
    if (n < 0) {
      throw new IllegalArgumentException(MODEL_CACHE_MAX_IDLE + " must be an integer >= 0 but was '" + value + "'");
    }
    return n;
  }

  /** Threads per inference from the executor's cores and concurrent tasks ({@link ThreadBudget}). */
  static int defaultThreads(SparkConf conf) {
    int taskCpus = conf.getInt("spark.task.cpus", 1);
    int cores;
    if (conf.contains("spark.executor.cores")) {
      cores = conf.getInt("spark.executor.cores", 1);
    } else {
      String master = conf.get("spark.master", "local[*]");
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("local\\[(\\d+|\\*)").matcher(master);
      if (m.lookingAt() || master.startsWith("local")) {
        cores = m.lookingAt() && !"*".equals(m.group(1)) ? Integer.parseInt(m.group(1))
            : master.equals("local") ? 1 : Runtime.getRuntime().availableProcessors();
      } else {
        cores = Runtime.getRuntime().availableProcessors();
      }
    }
    return ThreadBudget.intraOpThreads(Math.max(1, cores), Math.max(1, Math.min(taskCpus, cores)));
  }

  /**
   * The size a model runs at if its file does not record its input size (a DL4J zip, an ONNX model with
   * dynamic height and width): {@code inputSize} if set, else the sidecar's, else {@code [0, 0]} (the backend's
   * default, 224). The model learns its feature size there when it loads (an ONNX model also runs at it only),
   * so it is part of the load options.
   */
  private int[] requestedSize(ModelSpec sidecar) {
    if (isSet(inputSize) && getInputSize() > 0) {
      return new int[] {getInputSize(), getInputSize()};
    }
    if (sidecar != null) {
      return new int[] {sidecar.preprocess().height(), sidecar.preprocess().width()};
    }
    return new int[] {0, 0};
  }

  /**
   * A model whose file does not record its input size (a DL4J zip) takes the preprocessing size; runs one
   * blank image of that size on the driver so that a network that cannot take it fails here, not in a task.
   */
  private void checkDynamicSize(FeatureModel model, PreprocessSpec spec) {
    java.nio.FloatBuffer blank = java.nio.FloatBuffer.allocate(spec.floatsPerImage());
    try {
      model.run(blank, 1, spec.height(), spec.width(), new float[model.info().featureDim()]);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(SchemaChecks.name(this) + ": the model does not record its input size "
          + java.util.Arrays.toString(model.info().inputShape()) + " and fails on the preprocessing size "
          + spec.height() + "x" + spec.width() + " (set inputSize, or a model sidecar): " + e.getMessage(), e);
    }
  }

  private PreprocessSpec resolveSpec(ModelSpec sidecar, ModelInfo info) {
    int modelH = (int) info.inputHeight();
    int modelW = (int) info.inputWidth();
    boolean dynamicSize = modelH <= 0 || modelW <= 0;
    boolean uint8 = info.inputType() == ElementType.UINT8;
    // a uint8 input takes the pixels themselves: raw is the only preset it runs, so it is the default there
    String presetName = uint8 && !isSet(preprocessing) ? "raw" : getPreprocessing();
    PreprocessSpec spec = sidecar != null && !isSet(preprocessing) ? sidecar.preprocess()
        : preset(presetName, modelH > 0 ? modelH : 224);
    if ("custom".equals(getPreprocessing()) && (isSet(preprocessing) || sidecar == null)) {
      if (!isDefined(mean) || !isDefined(std)) {
        throw new IllegalArgumentException(SchemaChecks.name(this)
            + ": preprocessing=custom needs mean and std");
      }
      spec = spec.withNormalization(Normalization.custom(1f / 255f, toFloats(getMean()), toFloats(getStd())));
    } else if (!isSet(preprocessing) && (isSet(mean) || isSet(std))) {
      // meant for custom, which is not set: refused rather than ignored. A preset set explicitly wins over them
      // (a ParamGridBuilder grid over preprocessing, custom among its values, leaves them set)
      throw new IllegalArgumentException(SchemaChecks.name(this) + ": mean and std apply only with"
          + " preprocessing=custom, but preprocessing is not set (" + (sidecar != null
          ? "the model sidecar's normalization" : presetName) + " applies): set preprocessing=custom");
    }
    if (isSet(inputSize) && getInputSize() > 0) {
      spec = spec.withSize(getInputSize(), getInputSize());
    } else if (dynamicSize && sidecar != null) {
      // the sidecar's size even when preprocessing is set explicitly: the file cannot tell it
      spec = spec.withSize(sidecar.preprocess().height(), sidecar.preprocess().width());
    }
    if (isSet(channelOrder) && !"auto".equals(getChannelOrder())) {
      spec = spec.withChannelOrder(ChannelOrder.valueOf(getChannelOrder()));
    }
    if (isSet(resizeMode) || isSet(cropFraction)) {
      // the one not set comes from the sidecar (a crop fraction only from a sidecar that crops), else its default
      ResizeMode mode = !isSet(resizeMode) ? spec.resizeMode()
          : "center_crop".equals(getResizeMode()) ? ResizeMode.CENTER_CROP : ResizeMode.STRETCH;
      float fraction = !isSet(cropFraction) && spec.resizeMode() == ResizeMode.CENTER_CROP ? spec.cropFraction()
          : (float) getCropFraction();
      spec = spec.withResize(mode, fraction);
    }
    if (isSet(interpolation)) {
      spec = spec.withInterpolation(Interpolation.valueOf(getInterpolation().toUpperCase(Locale.ROOT)));
    }
    boolean layoutSet = isSet(layout) && !"auto".equals(getLayout());
    if (layoutSet) {
      TensorLayout want = TensorLayout.valueOf(getLayout());
      if (want != info.layout()) {
        throw new IllegalArgumentException(SchemaChecks.name(this) + ": layout " + want
            + " does not match the model input " + java.util.Arrays.toString(info.inputShape()) + " ("
            + info.layout() + ")");
      }
    }
    spec = spec.withLayout(info.layout());
    String notPixels = uint8 ? spec.normalization().uint8Mismatch() : null;
    if (notPixels != null) {
      String source;
      if (!isSet(preprocessing)) {
        source = "the normalization of the model sidecar " + getModelLocation() + ModelSpec.SIDECAR_SUFFIX;
      } else if ("custom".equals(getPreprocessing())) {
        source = "preprocessing=custom (mean " + java.util.Arrays.toString(getMean()) + ", std "
            + java.util.Arrays.toString(getStd()) + ")";
      } else {
        source = "preprocessing=" + getPreprocessing();
      }
      throw new IllegalArgumentException(SchemaChecks.name(this) + ": the model input '" + info.inputName() + "' "
          + java.util.Arrays.toString(info.inputShape()) + " is uint8 and takes the pixels 0..255 as they are,"
          + " but " + source + " does not give them (" + notPixels + "): set preprocessing=raw");
    }
    if (!dynamicSize && (spec.height() != modelH || spec.width() != modelW)) {
      if (isSet(inputSize) && getInputSize() > 0) {
        throw new IllegalArgumentException(SchemaChecks.name(this) + ": inputSize " + getInputSize()
            + " does not match the model input " + java.util.Arrays.toString(info.inputShape()));
      }
      spec = spec.withSize(modelH, modelW);
    }
    return spec;
  }

  private static PreprocessSpec preset(String name, int size) {
    return PreprocessSpec.preset("custom".equals(name) ? "unit" : name, size);
  }

  private static float[] toFloats(double[] a) {
    float[] f = new float[a.length];
    for (int i = 0; i < a.length; i++) {
      f[i] = (float) a[i];
    }
    return f;
  }

  /**
   * {@return a copy with {@code extra}'s params} It shares the model this stage resolved, so it saves the model
   * this stage ran (a copy of a fitted PipelineModel too), and runs it while the file and params stay the same.
   *
   * @param extra params to set on the copy
   */
  @Override
  public CnnFeaturizer copy(ParamMap extra) {
    CnnFeaturizer c = defaultCopy(extra);
    c.loaded = loaded;
    synchronized (this) {
      c.resolved = resolved;
    }
    return c;
  }

  // ---- persistence ----

  @Override
  public MLWriter write() {
    // the model is taken before Spark's overwrite deletes the folder, which may hold the model file
    AtomicReference<Resolved> model = new AtomicReference<>();
    return new P9Writer(this, (path, session) -> {
      SparkContext sc = session.sparkContext();
      Resolved r = model.get() != null ? model.get() : modelToSave(sc, path);
      Configuration conf = sc.hadoopConfiguration();
      String dir = new Path(path, MODEL_DIR).toString();
      HadoopFiles.write(dir + "/" + r.bytes().name(), r.bytes().bytes(), conf);
      ModelSpec spec = new ModelSpec(ModelSpec.VERSION, r.key().options().backend(),
          r.key().options().featureTensor(), r.spec(), "saved by p9 CnnFeaturizer " + uid);
      HadoopFiles.write(dir + "/" + r.bytes().name() + ModelSpec.SIDECAR_SUFFIX,
          spec.toJson().getBytes(StandardCharsets.UTF_8), conf);
      return Map.of("modelFile", r.bytes().name(), "modelSha256", r.bytes().sha256(),
          "originalModelLocation", r.location());
    }).beforeSave((path, session) -> model.set(modelToSave(session.sparkContext(), path)));
  }

  /**
   * The model {@link #write()} saves to {@code path}: the one this stage ran ({@link #resolveForSave}). A model file
   * missing from inside the folder of a pipeline that holds this stage was deleted by the pipeline's
   * {@code overwrite()}, which Spark runs before any stage's writer: that fails saying so and how to avoid it.
   */
  private Resolved modelToSave(SparkContext sc, String path) {
    try {
      return resolveForSave(sc);
    } catch (UncheckedIOException e) {
      Path folder = P9Writer.savedFolder(path);
      Configuration conf = sc.hadoopConfiguration();
      String replaced = HadoopFiles.qualify(folder.toString(), conf);
      // a pipeline's writer writes its metadata before its stages
      if (!(e.getCause() instanceof FileNotFoundException) || folder.equals(new Path(path))
          || !HadoopFiles.qualify(getModelLocation(), conf).startsWith(replaced + "/")
          || "absent".equals(HadoopFiles.stamp(new Path(folder, "metadata").toString(), conf))) {
        throw e;
      }
      throw new IllegalStateException(SchemaChecks.name(this) + ": its model file " + getModelLocation()
          + " is gone: it lay inside " + replaced + ", which write().overwrite() deleted before the stages of the"
          + " pipeline saved there were written, and this stage had not read its model yet. Before saving over the"
          + " folder that holds the model, resolve the stage (transformSchema, transform or modelInfo(spark); a"
          + " Pipeline.fit does), or save the pipeline to another folder", e);
    }
  }

  /**
   * {@return a reader of stages saved with {@link #write()}} A loaded stage runs from the model copy saved with it,
   * which must have the sha256 it was saved with.
   */
  public static MLReader<CnnFeaturizer> read() {
    return new P9Reader<>(CnnFeaturizer.class, CnnFeaturizer::new, (stage, path, meta, reader) -> {
      String file = meta.p9().path("modelFile").asText();
      Configuration conf = reader.sparkSession().sparkContext().hadoopConfiguration();
      String location = HadoopFiles.qualify(new Path(new Path(path, MODEL_DIR), file).toString(), conf);
      ModelBytes mb = ModelBytes.of(file, HadoopFiles.read(location, conf));
      if (!mb.sha256().equals(meta.p9().path("modelSha256").asText())) {
        throw new IllegalStateException("model copy " + location + " has sha256 " + mb.sha256() + " but the "
            + "stage was saved with " + meta.p9().path("modelSha256").asText());
      }
      stage.setModelLocation(location);
      stage.loaded = new Loaded(location, new ModelBroadcasts.ModelFile(mb,
          HadoopFiles.readIfExists(location + ModelSpec.SIDECAR_SUFFIX, conf)));
      return stage;
    });
  }

  /**
   * {@return the stage saved at {@code path}}
   *
   * @param path where {@link #write()} saved it (a local path or Hadoop URI)
   */
  public static CnnFeaturizer load(String path) {
    return read().load(path);
  }

  /**
   * A row that cannot be featurized under {@code handleInvalid=error}: its message names the stage, the origin
   * of the image (or of each image of a batch the model failed on) and the reason; the model's exception, if
   * any, is its cause. Spark wraps it in its task and job failures.
   */
  public static final class FeaturizeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Not for users: thrown by the stage's partition code.
     *
     * @param message the stage, the origin and the reason
     * @param cause the model's exception, or null
     */
    public FeaturizeException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
