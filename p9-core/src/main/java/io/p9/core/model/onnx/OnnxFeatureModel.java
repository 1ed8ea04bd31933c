package io.p9.core.model.onnx;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import io.p9.core.model.FeatureModel;
import io.p9.core.model.ModelBytes;
import io.p9.core.model.ModelException;
import io.p9.core.model.ModelInfo;
import io.p9.core.model.ModelOptions;
import io.p9.core.tensor.ElementType;
import io.p9.core.tensor.FloatBufferPool;
import io.p9.core.tensor.TensorLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One ONNX Runtime session over the edited model. {@link #run} is thread-safe: ONNX Runtime sessions allow
 * concurrent {@code run} calls, so all task threads of an executor share this one.
 *
 * <p><b>Batch dimension.</b> A model whose input batch dimension is dynamic (symbolic or unset, e.g.
 * {@code N}) runs any {@code n} images in one call. A model exported with a fixed batch B (PyTorch without
 * {@code dynamic_axes} gives [1,3,224,224]; {@link ModelInfo#fixedBatch()}) runs them in calls of B images:
 * full chunks straight from the caller's buffer, the last partial chunk copied into a pooled direct buffer
 * of B images whose other slots are zeros, and only its first features kept. The features are those of the
 * same graph with a dynamic batch; a batch size that is a multiple of B avoids the padding.
 *
 * <p><b>Input size.</b> A model whose input height and width are dynamic ({@code [n,3,h,w]} or
 * {@code [n,h,w,3]}: a PyTorch export with {@code dynamic_axes} on them, tf2onnx of a Keras model built with
 * {@code input_shape=(None, None, 3)}) runs at {@link ModelOptions#inputHeight()} x
 * {@link ModelOptions#inputWidth()}, else at {@value #DEFAULT_SIZE} x {@value #DEFAULT_SIZE} as a DL4J zip
 * does. {@link #info()} reports that size in the input shape (e.g. {@code [-1, 3, 160, 160]}) with the feature
 * size measured at it when the model opens, and {@link #run} takes images of that size, as for a model whose
 * file fixes it; another size is another model (its own {@code ModelOptions}). An axis the file fixes keeps
 * its size. The channel axis must be 3 in the file: it tells NCHW from NHWC.
 *
 * <p><b>Input types.</b> The image input may be float32 (the packed floats are the tensor), float16 (a model
 * converted with onnxconverter-common's {@code convert_float_to_float16} without {@code keep_io_types}),
 * float64 or uint8 (a model that takes the pixels 0..255 and normalizes inside, e.g. a converted TFLite
 * model); {@link ModelInfo#inputType()} says which. Callers pack floats either way; {@link InputTensor}
 * converts them for each run (uint8: rounded, and only raw preprocessing gives values it takes).
 *
 * <p><b>Closing.</b> {@link #close} waits for the runs in flight (ONNX Runtime frees the session under a run
 * that is still using it, and the JVM dies); a run after it throws a {@link ModelException}.
 */
public final class OnnxFeatureModel implements FeatureModel {
  private static final Logger LOG = LoggerFactory.getLogger(OnnxFeatureModel.class);

  /**
   * Height and width a model runs at whose file leaves them dynamic when {@link ModelOptions#inputHeight()}
   * and {@link ModelOptions#inputWidth()} are 0 (the DL4J backend's default too).
   */
  static final int DEFAULT_SIZE = 224;

  private final OrtEnvironment env;
  private final OrtSession session;
  private final ModelInfo info;
  private final String sha;
  private final long[] itemShape;
  private final int floatsPerItem;
  private final Set<String> outputs;
  /** {@link ModelInfo#fixedBatch()}: 0 = dynamic. */
  private final int fixedBatch;
  /** Runs hold the read lock, {@link #close} the write lock. */
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  /** Guarded by {@link #lock}. */
  private boolean closed;

  private OnnxFeatureModel(OrtEnvironment env, OrtSession session, ModelInfo info, String sha,
      String outputName) {
    this.env = env;
    this.session = session;
    this.info = info;
    this.sha = sha;
    this.itemShape = Arrays.copyOfRange(info.inputShape(), 1, info.inputShape().length);
    long n = 1;
    for (long d : itemShape) {
      n *= d;
    }
    this.floatsPerItem = (int) n;
    this.outputs = Set.of(outputName);
    this.fixedBatch = info.fixedBatch();
  }

  /**
   * Edits {@code model} to output its feature tensor ({@link FeatureTensorEdit}), opens an ONNX Runtime session
   * over it and runs it once to measure the feature size.
   *
   * @param model the ONNX model file
   * @param options the feature tensor, thread settings and input size for a model that leaves it dynamic
   * @return the open model; close it to free the session
   * @throws ModelException if the edit refuses the model, ONNX Runtime cannot open or run it, it does not
   *     have one image input of a supported type and shape, or its feature output is not the same number of
   *     floats for each image
   */
  public static OnnxFeatureModel open(ModelBytes model, ModelOptions options) {
    FeatureTensorEdit.Result edit;
    try {
      edit = FeatureTensorEdit.expose(model.bytes(), options.featureTensor());
    } catch (ModelException e) {
      // the edit sees only bytes: name the file, so that a truncated copy or a typo in featureTensor is found
      throw new ModelException(model + ": " + e.getMessage(), e);
    }
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    OrtSession session = null;
    try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
      so.setIntraOpNumThreads(options.intraOpThreads());
      so.setInterOpNumThreads(1);
      so.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
      so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      so.addConfigEntry("session.intra_op.allow_spinning", options.spinning() ? "1" : "0");
      session = createSession(env, model, edit.model(), so);
      ModelInfo described = describe(session, model, edit);
      ModelInfo info = atInputSize(described, options);
      String out = edit.outputName();
      int dim;
      try {
        dim = new OnnxFeatureModel(env, session, info, model.sha256(), out).probeFeatureDim();
      } catch (OrtException e) {
        if (info == described) {
          throw e;
        }
        throw new ModelException(model + " input '" + info.inputName() + "' has a dynamic size "
            + Arrays.toString(described.inputShape()) + " and fails at " + info.inputHeight() + "x"
            + info.inputWidth() + (options.inputHeight() > 0 ? "" : " (the default; give the size the model"
            + " takes: ModelOptions.withInputSize, CnnFeaturizer's inputSize or the model's sidecar)") + ": "
            + e.getMessage(), e);
      }
      return new OnnxFeatureModel(env, session, withDim(info, dim), model.sha256(), out);
    } catch (OrtException e) {
      if (session != null) {
        closeQuietly(session);
      }
      throw new ModelException("ONNX Runtime could not open " + model + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      if (session != null) {
        closeQuietly(session);
      }
      throw e;
    }
  }

  /**
   * A session over {@code edited}, its int8 weights rewritten as uint8 where this CPU's int8 dot product
   * saturates ({@link UnsignedWeights}); over {@code edited} as it is if ONNX Runtime refuses the rewrite.
   */
  private static OrtSession createSession(OrtEnvironment env, ModelBytes model, byte[] edited,
      OrtSession.SessionOptions so) throws OrtException {
    byte[] unsigned = UnsignedWeights.wanted() ? UnsignedWeights.rewrite(edited) : null;
    if (unsigned != null) {
      try {
        OrtSession s = env.createSession(unsigned, so);
        LOG.info("{}: int8 weights run as uint8 (exact), as this CPU's int8 dot product saturates (no VNNI;"
            + " system property {})", model, UnsignedWeights.PROPERTY);
        return s;
      } catch (OrtException e) {
        LOG.warn("{}: ONNX Runtime refused its int8 weights as uint8 ({}); running them as they are, which this"
            + " CPU computes with a saturating int8 dot product", model, e.getMessage());
      }
    }
    return env.createSession(edited, so);
  }

  /**
   * {@code i} with a dynamic height or width (-1: symbolic or unset in the file) replaced by the size in
   * {@code options}, else {@value #DEFAULT_SIZE}, as the DL4J backend does for a file without a size; {@code i}
   * itself if the file fixes both. A session runs at one size, which its info reports.
   */
  private static ModelInfo atInputSize(ModelInfo i, ModelOptions options) {
    long[] shape = i.inputShape().clone();
    int hAxis = i.layout() == TensorLayout.NCHW ? 2 : 1;
    if (shape[hAxis] > 0 && shape[hAxis + 1] > 0) {
      return i;
    }
    if (shape[hAxis] <= 0) {
      shape[hAxis] = options.inputHeight() > 0 ? options.inputHeight() : DEFAULT_SIZE;
    }
    if (shape[hAxis + 1] <= 0) {
      shape[hAxis + 1] = options.inputWidth() > 0 ? options.inputWidth() : DEFAULT_SIZE;
    }
    return new ModelInfo(i.backend(), i.inputName(), shape, i.layout(), i.featureTensor(), i.featureDim(),
        i.quantized(), i.inputType());
  }

  private static ModelInfo withDim(ModelInfo i, int dim) {
    return new ModelInfo(i.backend(), i.inputName(), i.inputShape(), i.layout(), i.featureTensor(), dim,
        i.quantized(), i.inputType());
  }

  private static ModelInfo describe(OrtSession session, ModelBytes model, FeatureTensorEdit.Result edit)
      throws OrtException {
    Map<String, NodeInfo> inputs = session.getInputInfo();
    if (inputs.size() != 1) {
      throw new ModelException(model + " has " + inputs.size() + " inputs " + inputs.keySet()
          + "; p9 needs a model with one image input");
    }
    NodeInfo in = inputs.values().iterator().next();
    ElementType type = in.getInfo() instanceof TensorInfo t ? elementType(t) : null;
    if (type == null) {
      throw new ModelException(model + " input '" + in.getName() + "' is " + in.getInfo()
          + "; p9 needs an image tensor of float32, float16, float64 or uint8");
    }
    TensorInfo ti = (TensorInfo) in.getInfo();
    long[] shape = ti.getShape();
    if (shape.length != 4) {
      throw new ModelException(model + " input '" + in.getName() + "' has shape " + Arrays.toString(shape)
          + "; p9 needs a 4-d image batch [N,C,H,W] or [N,H,W,C]");
    }
    TensorLayout layout;
    if (shape[1] == 3) {
      layout = TensorLayout.NCHW;
    } else if (shape[3] == 3) {
      layout = TensorLayout.NHWC;
    } else {
      throw new ModelException(model + " input '" + in.getName() + "' has shape " + Arrays.toString(shape)
          + "; neither axis 1 (NCHW) nor axis 3 (NHWC) has 3 channels" + (shape[1] <= 0 || shape[3] <= 0
          ? " (a dynamic channel axis does not tell the layout: export the model with 3 channels fixed)" : ""));
    }
    // ONNX Runtime reports a symbolic or unset dimension as -1; anything above 0 is fixed by the file
    if (shape[0] > Integer.MAX_VALUE) {
      throw new ModelException(model + " input '" + in.getName() + "' has shape " + Arrays.toString(shape)
          + "; its batch dimension is too large");
    }
    return new ModelInfo("onnx", in.getName(), shape, layout, edit.sourceTensor(), -1, edit.quantized(), type);
  }

  /** The image input types p9 converts its floats to; null for any other (int8, bfloat16, strings...). */
  private static ElementType elementType(TensorInfo t) {
    return switch (t.type) {
      case FLOAT -> ElementType.FLOAT32;
      case FLOAT16 -> ElementType.FLOAT16;
      case DOUBLE -> ElementType.FLOAT64;
      case UINT8 -> ElementType.UINT8;
      default -> null;
    };
  }

  /**
   * Runs a zero batch of one (of the fixed batch, if the model has one) to learn the flattened feature size
   * (ONNX shape inference may not know): the output's values divided by the images, so that a feature tensor
   * whose batch axis is gone ({@code [C]} from a Squeeze without axes on a batch of one, {@code [N*C]} from
   * a Reshape to [-1]) still gives each image its own C values.
   */
  private int probeFeatureDim() throws OrtException {
    int n = Math.max(1, fixedBatch);
    FloatBuffer zeros = ByteBuffer.allocateDirect(Math.multiplyExact(n, floatsPerItem) * Float.BYTES)
        .order(ByteOrder.nativeOrder()).asFloatBuffer();
    long[] shape = batchShape(n);
    try (InputTensor t = InputTensor.of(env, info.inputType(), zeros, shape, info.inputName());
        OrtSession.Result r = session.run(Map.of(info.inputName(), t.tensor()), outputs)) {
      OnnxValue v = r.get(0);
      if (!(v instanceof OnnxTensor ot) || ot.getInfo().type != ai.onnxruntime.OnnxJavaType.FLOAT) {
        throw new ModelException("feature output of " + sha.substring(0, 12) + " is " + v.getInfo()
            + ", not a float tensor");
      }
      long values = ot.getInfo().getNumElements();
      if (values % n != 0) {
        throw new ModelException("feature output of " + sha.substring(0, 12) + " has shape "
            + Arrays.toString(ot.getInfo().getShape()) + " for a batch of " + n + ", not the same number of"
            + " values per image");
      }
      return Math.toIntExact(values / n);
    }
  }

  private long[] batchShape(int n) {
    long[] s = new long[itemShape.length + 1];
    s[0] = n;
    System.arraycopy(itemShape, 0, s, 1, itemShape.length);
    return s;
  }

  @Override
  public ModelInfo info() {
    return info;
  }

  @Override
  public void run(FloatBuffer input, int n, float[] out) {
    lock.readLock().lock();
    try {
      if (closed) {
        throw new ModelException("ONNX model " + sha.substring(0, 12) + " is closed");
      }
      runOpen(input, n, out);
    } finally {
      lock.readLock().unlock();
    }
  }

  private void runOpen(FloatBuffer input, int n, float[] out) {
    if (input.capacity() < (long) n * floatsPerItem) {
      throw new IllegalArgumentException("input holds " + input.capacity() + " floats, " + n + " images of "
          + Arrays.toString(itemShape) + " need " + ((long) n * floatsPerItem));
    }
    if (out.length < n * info.featureDim()) {
      throw new IllegalArgumentException("out holds " + out.length + " floats, need "
          + (n * info.featureDim()));
    }
    if (input.isDirect() && input.order() != ByteOrder.nativeOrder()) {
      // ONNX Runtime reads a direct buffer's bytes in the platform's order, and copies a heap buffer's floats:
      // a heap copy, not a pooled one, so that this rare path keeps no direct memory per batch size
      FloatBuffer floats = FloatBuffer.allocate(n * floatsPerItem);
      floats.put(0, input, 0, n * floatsPerItem);
      runOrdered(floats, n, out);
      return;
    }
    runOrdered(input, n, out);
  }

  /** {@link #runOpen} on an input that is a heap buffer or a direct one in the platform's byte order. */
  private void runOrdered(FloatBuffer input, int n, float[] out) {
    if (fixedBatch == 0) {
      runChunk(input.slice(0, n * floatsPerItem), n, n, out, 0);
      return;
    }
    int done = 0;
    for (; n - done >= fixedBatch; done += fixedBatch) {
      runChunk(input.slice(done * floatsPerItem, fixedBatch * floatsPerItem), fixedBatch, fixedBatch, out,
          done * info.featureDim());
    }
    if (done < n) {
      int rest = n - done;
      // the pool is shared by threads and each call borrows its own buffer; its contents are unspecified
      FloatBuffer padded = FloatBufferPool.shared().borrow(fixedBatch * floatsPerItem);
      try {
        padded.put(0, input, done * floatsPerItem, rest * floatsPerItem);
        for (int i = rest * floatsPerItem; i < fixedBatch * floatsPerItem; i++) {
          padded.put(i, 0f);
        }
        runChunk(padded, fixedBatch, rest, out, done * info.featureDim());
      } finally {
        FloatBufferPool.shared().release(padded);
      }
    }
  }

  /**
   * Runs the {@code batch} images of {@code view} and copies the features of the first {@code keep} to
   * {@code out} from {@code outOffset}.
   */
  private void runChunk(FloatBuffer view, int batch, int keep, float[] out, int outOffset) {
    long[] shape = batchShape(batch);
    try (InputTensor t = InputTensor.of(env, info.inputType(), view, shape, info.inputName());
        OrtSession.Result r = session.run(Map.of(info.inputName(), t.tensor()), outputs)) {
      FloatBuffer fb = ((OnnxTensor) r.get(0)).getFloatBuffer();
      fb.get(out, outOffset, keep * info.featureDim());
    } catch (OrtException e) {
      throw new ModelException("ONNX Runtime failed on model " + sha.substring(0, 12) + ", input '"
          + info.inputName() + "' " + Arrays.toString(shape)
          + (fixedBatch > 0 ? " (fixed batch " + fixedBatch + ", " + keep + " images)" : "")
          + ", output " + outputs + ": " + e.getMessage(), e);
    }
  }

  /** Waits for the runs in flight, then closes the session. Idempotent. */
  @Override
  public void close() {
    lock.writeLock().lock();
    try {
      if (!closed) {
        closed = true;
        closeQuietly(session);
      }
    } finally {
      lock.writeLock().unlock();
    }
  }

  private static void closeQuietly(OrtSession s) {
    try {
      s.close();
    } catch (OrtException | RuntimeException ignored) {
      // closing is best effort; nothing else holds the session
    }
  }
}
