package io.p9.spark.ml.internal;

import io.p9.core.image.PixelImage;
import io.p9.core.image.PreprocessSpec;
import io.p9.core.model.BatchFeaturizer;
import io.p9.core.model.ModelBytes;
import io.p9.core.model.ModelCache;
import io.p9.core.model.ModelException;
import io.p9.core.model.ModelKey;
import io.p9.spark.ml.CnnFeaturizer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.StringJoiner;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.image.ImageSchema;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The executor side of {@code CnnFeaturizer}: one partition, in batches. The model comes from the per-JVM
 * {@link ModelCache} (the broadcast is read only when this JVM has not loaded it yet); a task-completion
 * listener returns the batch buffer to its pool and closes the task's lease on the model (called outside a
 * Spark task, the returned iterator does so itself once its rows run out or fail). The broadcast holds
 * the bare model bytes: broadcasts go through {@code spark.serializer}, and Kryo's default serializer cannot
 * build a record such as {@link ModelBytes}.
 *
 * <p>When the model throws for a batch, {@code handleInvalid=error} fails naming the batch's images; skip and
 * keep run its images again one by one ({@link BatchFeaturizer#runEach}): an image that fails alone is an
 * invalid row ({@value #INFERENCE_FAILED}), the others get their features. If the model also fails on a blank
 * image ({@link BatchFeaturizer#blankImageFailure}, run at most once per partition while it passes), the model
 * is broken and the task fails whatever {@code handleInvalid} says. None of this runs while batches succeed.
 */
public final class FeaturizePartition implements MapPartitionsFunction<Row, Row> {
  private static final long serialVersionUID = 1L;
  /** The reason of a row whose image the model fails on when it runs it alone. */
  public static final String INFERENCE_FAILED = "INFERENCE_FAILED";

  /** The stage's name for messages, {@code CnnFeaturizer[uid]}. */
  private final String stage;
  /** The model file's bytes, read only by a JVM that has not loaded the model yet. */
  private final Broadcast<byte[]> model;
  /** The model file's name, for messages. */
  private final String modelName;
  /** The model's identity in the {@link ModelCache}: its hash and load options. */
  private final ModelKey key;
  /** How an image becomes the model's input. */
  private final PreprocessSpec spec;
  /** The images per model run. */
  private final int batchSize;
  /** The index of the image column in the input rows. */
  private final int imageIndex;
  /** {@code error}, {@code skip} or {@code keep}: what a row that cannot be featurized does. */
  private final String handleInvalid;
  /** Whether each output row also gets a reason column after the features. */
  private final boolean errorColumn;
  /** The idle models the executor's {@link ModelCache} keeps, set by each task; -1 leaves it as it is. */
  private final int modelCacheMaxIdle;
  /** The stage's counters: featurized rows, and those skipped or kept by reason. */
  private final CountsAccumulator acc;

  /**
   * The function for one transform of a {@code CnnFeaturizer}.
   *
   * @param stage the stage's name for messages, {@code CnnFeaturizer[uid]}
   * @param model the model file's bytes, broadcast
   * @param modelName the model file's name, for messages
   * @param key the model's identity in the {@link ModelCache}: its hash and load options
   * @param spec how an image becomes the model's input
   * @param batchSize the images per model run
   * @param imageIndex the index of the image column (Spark's image struct) in the input rows
   * @param handleInvalid {@code error}, {@code skip} or {@code keep}: whether a row that cannot be featurized
   *     fails the task, is dropped, or is kept with null features
   * @param errorColumn whether each output row also gets a reason column after the features: the
   *     {@link #invalidReason} (or {@value #INFERENCE_FAILED}) of a row kept without features, else null
   * @param modelCacheMaxIdle the idle models the executor's {@link ModelCache} keeps, set by each task; -1
   *     leaves the cache's bound as it is
   * @param acc the stage's counters, registered on the driver
   */
  public FeaturizePartition(String stage, Broadcast<byte[]> model, String modelName, ModelKey key,
      PreprocessSpec spec, int batchSize, int imageIndex, String handleInvalid, boolean errorColumn,
      int modelCacheMaxIdle, CountsAccumulator acc) {
    this.stage = stage;
    this.model = model;
    this.modelName = modelName;
    this.key = key;
    this.spec = spec;
    this.batchSize = batchSize;
    this.imageIndex = imageIndex;
    this.handleInvalid = handleInvalid;
    this.errorColumn = errorColumn;
    this.modelCacheMaxIdle = modelCacheMaxIdle;
    this.acc = acc;
  }

  @Override
  public Iterator<Row> call(Iterator<Row> rows) {
    if (modelCacheMaxIdle >= 0) {
      ModelCache.shared().setMaxIdle(modelCacheMaxIdle);
    }
    ModelCache.Lease lease;
    try {
      // ModelBytes.of hashes again, so the cache still checks the bytes against the key
      lease = ModelCache.shared().acquire(key, () -> ModelBytes.of(modelName, model.value()));
    } catch (RuntimeException e) {
      // a load that passed on the driver can still fail here: another class path, natives or memory
      throw loadFailed(stage, e);
    }
    BatchFeaturizer batch;
    try {
      batch = new BatchFeaturizer(lease.model(), spec, batchSize);
    } catch (RuntimeException | Error e) {
      lease.close();
      throw e;
    }
    Runnable release = () -> {
      try {
        batch.close();
      } finally {
        lease.close();
      }
    };
    TaskContext tc = TaskContext.get();
    if (tc != null) {
      // the model stays leased until the task ends, whether its rows were all read or not
      tc.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) ctx -> release.run());
      return new Batches(rows, batch, null);
    }
    // called outside a task (no listener): released when the rows run out or reading them fails
    return new Batches(rows, batch, release);
  }

  /**
   * {@code e}, met choosing or loading the model of {@code stage} ({@code CnnFeaturizer[uid]}), as a
   * ModelException naming the stage, so that the stage that failed in a Pipeline is known: the stage's name,
   * then {@code e}'s message; {@code e} is its cause.
   *
   * @param stage the stage's name, {@code CnnFeaturizer[uid]}
   * @param e the failure
   * @return the exception to throw
   */
  public static ModelException loadFailed(String stage, RuntimeException e) {
    return new ModelException(stage + ": " + (e.getMessage() != null ? e.getMessage() : e.toString()), e);
  }

  /**
   * Why a row's image cannot be featurized, or null if it can: {@code REASON: message}, the reason (the
   * counter name in the metrics) one of {@code NO_IMAGE} (a null image, or the invalid image row of Spark's
   * image source), {@code UNSUPPORTED_MODE}, {@code INVALID_IMAGE}.
   * The fourth reason, {@value #INFERENCE_FAILED}, is known only once the model has run.
   */
  static String invalidReason(Row image) {
    if (image == null) {
      return "NO_IMAGE: the image is null (the file was not decoded)";
    }
    for (int i = 1; i <= 4; i++) {
      // nullable in a hand-built image struct (Spark's own image source never leaves them null)
      if (image.isNullAt(i)) {
        return "INVALID_IMAGE: " + ImageSchema.columnSchema().fields()[i].name() + " is null";
      }
    }
    int h = image.getInt(1);
    int w = image.getInt(2);
    int c = image.getInt(3);
    int mode = image.getInt(4);
    byte[] data = (byte[]) image.get(5);
    if (mode == -1 && h == -1 && w == -1) {
      // ImageSchema.invalidImageRow: what spark.read.format("image") keeps for a file it cannot decode
      return "NO_IMAGE: the image source could not decode the file (Spark's invalid image row, mode -1)";
    }
    if (mode != 0 && mode != 16 && mode != 24) {
      return "UNSUPPORTED_MODE: OpenCV mode " + mode + " (only 8-bit CV_8UC1/3/4 are supported)";
    }
    if (h <= 0 || w <= 0 || (c != 1 && c != 3 && c != 4) || data == null
        || (long) h * w * c != data.length) {
      return "INVALID_IMAGE: " + w + "x" + h + "x" + c + " with " + (data == null ? 0 : data.length)
          + " bytes";
    }
    return null;
  }

  private final class Batches implements Iterator<Row> {
    private final Iterator<Row> rows;
    private final BatchFeaturizer batch;
    private final ArrayDeque<Row> ready = new ArrayDeque<>();
    private final Row[] pending;
    private final int[] slots;
    private final String[] reasons;
    /** Ends the lease when the rows end or fail, outside a task; null in a task, or once run. */
    private Runnable release;
    /** What the model threw for each slot of a failed batch run alone; created by the first failed batch. */
    private RuntimeException[] alone;

    Batches(Iterator<Row> rows, BatchFeaturizer batch, Runnable release) {
      this.rows = rows;
      this.batch = batch;
      this.release = release;
      this.pending = new Row[batchSize * 2];
      this.slots = new int[batchSize * 2];
      this.reasons = new String[batchSize * 2];
    }

    @Override
    public boolean hasNext() {
      try {
        while (ready.isEmpty() && rows.hasNext()) {
          fill();
        }
      } catch (RuntimeException | Error e) {
        release();
        throw e;
      }
      if (ready.isEmpty()) {
        release();
        return false;
      }
      return true;
    }

    private void release() {
      Runnable r = release;
      release = null;
      if (r != null) {
        r.run();
      }
    }

    @Override
    public Row next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      return ready.poll();
    }

    /** Reads rows until the batch is full or the input ends, runs the batch and queues its rows in order. */
    private void fill() {
      int n = 0;
      while (!batch.isFull() && rows.hasNext() && n < pending.length) {
        Row row = rows.next();
        Row image = row.isNullAt(imageIndex) ? null : row.getStruct(imageIndex);
        String why = invalidReason(image);
        if (why != null) {
          if ("error".equals(handleInvalid)) {
            String origin = image != null ? image.getString(0) : rowOrigin(row);
            throw new CnnFeaturizer.FeaturizeException(stage + " cannot featurize " + origin + ": " + why, null);
          }
          if (!countInvalid(why.substring(0, why.indexOf(':')))) {
            continue;
          }
          pending[n] = row;
          reasons[n] = why;
          slots[n++] = -1;
          continue;
        }
        PixelImage px = new PixelImage(image.getInt(2), image.getInt(1), image.getInt(3),
            (byte[]) image.get(5));
        pending[n] = row;
        reasons[n] = null;
        slots[n++] = batch.add(px);
      }
      int dim = batch.featureDim();
      float[] features;
      boolean failed = false;
      try {
        features = batch.run();
      } catch (RuntimeException e) {
        features = runAlone(e, n);
        failed = true;
      }
      for (int i = 0; i < n; i++) {
        Row row = pending[i];
        String why = reasons[i];
        pending[i] = null;
        reasons[i] = null;
        Object vector = null;
        if (failed && slots[i] >= 0 && alone[slots[i]] != null) {
          why = INFERENCE_FAILED + ": " + message(alone[slots[i]]);
          alone[slots[i]] = null;
          if (!countInvalid(INFERENCE_FAILED)) {
            continue;
          }
        } else if (slots[i] >= 0) {
          double[] v = new double[dim];
          int off = slots[i] * dim;
          for (int j = 0; j < dim; j++) {
            v[j] = features[off + j];
          }
          vector = Vectors.dense(v);
          acc.add(CountsAccumulator.OK);
        }
        ready.add(append(row, errorColumn ? new Object[] {vector, why} : new Object[] {vector}));
      }
    }

    /**
     * Counts a row that cannot be featurized under {@code reason} and as skipped or kept; true if it is kept
     * ({@code handleInvalid=keep}). Not called under {@code error}, which fails first.
     */
    private boolean countInvalid(String reason) {
      acc.add(CountsAccumulator.REASON + reason);
      boolean keep = !"skip".equals(handleInvalid);
      acc.add(keep ? CountsAccumulator.KEPT : CountsAccumulator.SKIPPED);
      return keep;
    }

    /**
     * After the model threw {@code e} for the batch of the first {@code n} pending rows: under error, fails
     * naming the batch's images; else runs each image alone, fails if one fails alone and the model fails on
     * a blank image too, and returns the features ({@link #alone} holds each slot's failure).
     */
    private float[] runAlone(RuntimeException e, int n) {
      if ("error".equals(handleInvalid)) {
        List<String> origins = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          if (slots[i] >= 0) {
            origins.add(origin(pending[i]));
          }
        }
        throw new CnnFeaturizer.FeaturizeException(stage + ": model " + modelName + " failed on the batch of "
            + origins.size() + " images " + origins + ": " + message(e), e);
      }
      if (alone == null) {
        alone = new RuntimeException[batchSize];
      }
      float[] features = batch.runEach(alone);
      for (int i = 0; i < n; i++) {
        RuntimeException own = slots[i] >= 0 ? alone[slots[i]] : null;
        if (own != null) {
          RuntimeException blank = batch.blankImageFailure();
          if (blank != null) {
            ModelException broken = new ModelException(stage + ": model " + modelName + " fails on a blank"
                + " input (a black image, preprocessed like the images), so the model is broken, not the"
                + " images; alone, " + origin(pending[i]) + " failed: " + message(own) + "; the blank image: "
                + message(blank), blank);
            broken.addSuppressed(own);
            throw broken;
          }
          break;
        }
      }
      return features;
    }

    /** The origin (image struct field 0) of a pending row with an image. */
    private String origin(Row row) {
      return row.getStruct(imageIndex).getString(0);
    }
  }

  /**
   * Where a row without an image came from: its string {@code path} column (binaryFile's and
   * {@code ImageFiles}'), else the row itself, byte arrays (a file's content) shown by their length.
   */
  static String rowOrigin(Row row) {
    StructType schema = row.schema();
    if (schema != null) {
      for (int i = 0; i < schema.fields().length; i++) {
        StructField f = schema.fields()[i];
        if ("path".equalsIgnoreCase(f.name()) && f.dataType() == DataTypes.StringType && !row.isNullAt(i)) {
          return row.getString(i);
        }
      }
    }
    StringJoiner values = new StringJoiner(", ", "(row [", "])");
    for (int i = 0; i < row.length(); i++) {
      Object v = row.get(i);
      values.add(v instanceof byte[] b ? "<" + b.length + " bytes>" : String.valueOf(v));
    }
    return values.toString();
  }

  private static String message(Throwable t) {
    return t.getMessage() != null ? t.getMessage() : t.toString();
  }

  /** {@code row} with {@code added} as its last columns. */
  static Row append(Row row, Object... added) {
    int n = row.length();
    Object[] values = new Object[n + added.length];
    for (int i = 0; i < n; i++) {
      values[i] = row.get(i);
    }
    System.arraycopy(added, 0, values, n, added.length);
    return RowFactory.create(values);
  }
}
