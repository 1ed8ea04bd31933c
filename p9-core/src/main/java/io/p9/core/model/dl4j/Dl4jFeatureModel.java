package io.p9.core.model.dl4j;

import io.p9.core.model.FeatureModel;
import io.p9.core.model.ModelBytes;
import io.p9.core.model.ModelException;
import io.p9.core.model.ModelInfo;
import io.p9.core.model.ModelOptions;
import io.p9.core.tensor.TensorLayout;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A DL4J network (from a DL4J zip or a Keras {@code .h5}, see {@link Dl4jLoader}) that returns the
 * activations of one layer, flattened per image in the order DL4J holds them: a Keras import holds
 * convolutional activations channels-last ({@code [N, H, W, C]}: h, w, c, Keras's own order, which the ONNX
 * backend gives for the model converted to ONNX too), a DL4J zip in its layers' {@code CNN2DFormat} (NCHW,
 * DL4J's default: c, h, w). Both are the layout of the model's input, the order
 * {@link ModelOptions#featureTensor()} names.
 *
 * <p><b>Threads.</b> A DL4J network is not safe for concurrent {@code output} calls: it keeps the current
 * input, masks and layer state in fields. This model is still the one shared object the {@code ModelCache}
 * holds per JVM: it keeps a pool of <em>replicas</em>, network instances built from the same configuration
 * over <em>one shared, read-only parameter array</em> (inference never writes parameters). {@link #run}
 * takes an idle replica or builds one, runs, and puts it back, so there are as many replicas as calls that
 * ever ran at once (the executor's task slots) and the parameters exist once whatever that number. This is
 * chosen over a {@code ThreadLocal} clone per thread, whose copies (parameters included) live as long as the
 * thread and cannot be freed by {@link #close}, and over DL4J's {@code ParallelInference}, which adds its own
 * worker threads and queue next to Spark's task threads (breaking the CPU budget) and another dependency.
 *
 * <p><b>Memory.</b> Inference runs with DL4J workspaces enabled: activations live in ND4J workspaces that
 * are allocated on the first batch and reused by every later batch on the same thread (ND4J keeps
 * workspaces per thread, and Spark reuses its task threads). A feature layer that reads the network input
 * runs without them (one layer needs none, and DL4J 1.0.0-M2.1 fails on it with them). A failed call
 * closes the workspaces DL4J left open, so that the thread's later calls, on any model, still run. Each
 * replica also keeps its input array, so a batch is copied from the caller's buffer into native memory
 * without allocating. Only the returned feature array is allocated per batch, and it is released right
 * after it is copied out.
 *
 * <p><b>CPU.</b> ND4J's thread count is a JVM-wide setting; loading sets it to
 * {@link ModelOptions#intraOpThreads()} as far as ND4J allows ({@link #applyThreadBudget}).
 * {@link ModelOptions#spinning()} has no DL4J equivalent and is ignored.
 *
 * <p><b>Closing.</b> {@link #close} waits for the runs in flight (it frees the parameters they use), as the
 * ONNX backend does; a run after it throws an {@link IllegalStateException}.
 */
public final class Dl4jFeatureModel implements FeatureModel {
  private static final Logger LOG = LoggerFactory.getLogger(Dl4jFeatureModel.class);
  /**
   * Height and width used to learn the feature size when the file does not record the input size and
   * {@link ModelOptions#inputHeight()} is 0.
   */
  static final int PROBE_SIZE = 224;

  private final ComputationGraphConfiguration conf;
  private final INDArray params;
  private final String featureLayer;
  private final List<String> featureLayers;
  /** Final after {@link #open} (its feature size is learnt by running the model). */
  private ModelInfo info;
  private final String sha;
  private final String kind;
  private final ConcurrentLinkedDeque<Replica> idle = new ConcurrentLinkedDeque<>();
  private final AtomicInteger replicas = new AtomicInteger();
  /** Runs hold the read lock, {@link #close} the write lock. */
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  /** Guarded by {@link #lock}. */
  private boolean closed;

  /** One network instance and its reusable input array; used by one thread at a time. */
  private static final class Replica {
    final ComputationGraph net;
    INDArray input;
    FloatBuffer inputView;

    Replica(ComputationGraph net) {
      this.net = net;
    }

    /** The first {@code n} items of the reusable input array, shaped {@code [n, itemShape...]}. */
    INDArray input(long[] itemShape, int floatsPerItem, int n, FloatBuffer src) {
      long need = (long) n * floatsPerItem;
      if (input == null || input.length() < need) {
        release();
        input = Nd4j.createUninitializedDetached(DataType.FLOAT, need);
        inputView = input.data().asNio().order(ByteOrder.nativeOrder()).asFloatBuffer();
      }
      inputView.put(0, src, 0, (int) need);
      long[] shape = new long[itemShape.length + 1];
      shape[0] = n;
      System.arraycopy(itemShape, 0, shape, 1, itemShape.length);
      INDArray flat = input.length() == need ? input : input.get(NDArrayIndex.interval(0, need));
      return flat.reshape('c', shape);
    }

    void release() {
      if (input != null && input.closeable()) {
        input.close();
      }
      input = null;
      inputView = null;
    }
  }

  private Dl4jFeatureModel(Dl4jLoader.Loaded loaded, String featureLayer, ModelInfo info, String sha) {
    this.conf = loaded.graph().getConfiguration();
    this.params = loaded.graph().params();
    this.featureLayer = featureLayer;
    this.featureLayers = List.of(featureLayer);
    this.info = info;
    this.sha = sha;
    this.kind = loaded.kind();
    idle.push(new Replica(loaded.graph()));
    replicas.set(1);
  }

  /**
   * Loads {@code model}, resolves the feature layer and learns the feature size by running one image of
   * zeros: at the input size the file records, else at {@link ModelOptions#inputHeight()} x
   * {@link ModelOptions#inputWidth()}, else at {@value #PROBE_SIZE} x {@value #PROBE_SIZE}. Returns a
   * {@link FeatureModel} (not this class) so that callers need no DL4J class to link.
   *
   * @param model a DL4J zip or Keras {@code .h5} file
   * @param options the feature layer, the threads and the input size to load it with
   * @return the loaded model
   * @throws ModelException if it cannot be loaded, has no such feature layer, or fails on the probe image
   */
  public static FeatureModel open(ModelBytes model, ModelOptions options) {
    applyThreadBudget(options.intraOpThreads());
    Dl4jLoader.Loaded loaded = Dl4jLoader.load(model);
    ComputationGraph graph = loaded.graph();
    ComputationGraphConfiguration conf = graph.getConfiguration();
    if (conf.getDataType() != DataType.FLOAT) {
      LOG.info("{}: converting the {} network to float32", model, conf.getDataType());
      graph = graph.convertDataType(DataType.FLOAT);
      loaded = new Dl4jLoader.Loaded(graph, loaded.kind(), loaded.inputShape());
      conf = graph.getConfiguration();
    }
    conf.setInferenceWorkspaceMode(WorkspaceMode.ENABLED);
    if (conf.getNetworkInputs().size() != 1) {
      throw new ModelException(model + " (" + loaded.kind() + ") has " + conf.getNetworkInputs().size()
          + " inputs " + conf.getNetworkInputs() + "; p9 needs a model with one image input");
    }
    String layer;
    long[] shape;
    try {
      layer = FeatureLayers.resolve(conf, options.featureTensor());
      shape = loaded.inputShape() != null ? loaded.inputShape() : FeatureLayers.inferInputShape(conf);
    } catch (ModelException e) {
      // FeatureLayers sees only the configuration: name the file, as for an ONNX model
      throw new ModelException(model + " (" + loaded.kind() + "): " + e.getMessage(), e);
    }
    if (conf.getNetworkInputs().contains(layer)
        || conf.getVertexInputs().getOrDefault(layer, List.of()).contains(conf.getNetworkInputs().get(0))) {
      // DL4J 1.0.0-M2.1 fails, with workspaces, when asked for the only consumer of the network input ("Expected
      // no workspace active at the end of outputOfLayerDetached"). One layer needs no workspaces.
      conf.setInferenceWorkspaceMode(WorkspaceMode.NONE);
    }
    TensorLayout layout = FeatureLayers.layoutOf(shape);
    if (layout == null) {
      throw new ModelException(model + " (" + loaded.kind() + ") input '" + conf.getNetworkInputs().get(0)
          + "' has shape " + Arrays.toString(shape) + "; p9 needs a 3-channel image batch [N,H,W,3] or [N,3,H,W]");
    }
    ModelInfo info = new ModelInfo("dl4j", conf.getNetworkInputs().get(0), shape, layout, layer, -1, false);
    Dl4jFeatureModel m = new Dl4jFeatureModel(loaded, layer, info, model.sha256());
    int dim;
    if (info.inputHeight() > 0 && info.inputWidth() > 0) {
      dim = m.probeFeatureDim(info.inputHeight(), info.inputWidth());
    } else {
      long h = options.inputHeight() > 0 ? options.inputHeight() : PROBE_SIZE;
      long w = options.inputWidth() > 0 ? options.inputWidth() : PROBE_SIZE;
      try {
        dim = m.probeFeatureDim(h, w);
      } catch (ModelException e) {
        throw new ModelException(model + " (" + loaded.kind() + ") does not record its input size "
            + Arrays.toString(shape) + " and fails at " + h + "x" + w + (options.inputHeight() > 0 ? ""
            : " (the default; give the size the network takes: ModelOptions.withInputSize, CnnFeaturizer's"
            + " inputSize or the model's sidecar)") + ": " + e.getMessage(), e);
      }
    }
    m.info = new ModelInfo("dl4j", info.inputName(), shape, layout, layer, dim, false);
    return m;
  }

  /**
   * Caps ND4J's threads per operation at {@code threads}: OpenBLAS (matrix products) at once; libnd4j's own
   * pool only if {@code threads} is not below what it started with, because libnd4j 1.0.0-M2.1 can raise
   * but not lower its thread count at run time. Below that, the cap needs {@code OMP_NUM_THREADS} in the
   * JVM's environment (on Spark: {@code spark.executorEnv.OMP_NUM_THREADS}); this logs when it is missing.
   */
  static void applyThreadBudget(int threads) {
    Nd4j.factory().blas().setMaxThreads(threads);
    Nd4j.getEnvironment().setMaxThreads(threads);
    Nd4j.getEnvironment().setMaxMasterThreads(threads);
    int actual = Nd4j.getEnvironment().maxThreads();
    if (actual > threads) {
      LOG.warn("ND4J runs up to {} threads per operation; intraOpThreads={} cannot lower it at run time. Set"
          + " OMP_NUM_THREADS={} in the environment of this JVM (Spark: spark.executorEnv.OMP_NUM_THREADS) to"
          + " keep concurrent tasks from oversubscribing the cores.", actual, threads, threads);
    }
  }

  /** The input shape of one image at {@code height} x {@code width}, in the model's layout. */
  private long[] itemShape(long height, long width) {
    long[] s = info.inputShape();
    return info.layout() == TensorLayout.NHWC ? new long[] {height, width, s[3]}
        : new long[] {s[1], height, width};
  }

  /** Runs one image of zeros at {@code h} x {@code w} and returns the length of its flattened features. */
  private int probeFeatureDim(long h, long w) {
    long[] item = itemShape(h, w);
    int floats = (int) (item[0] * item[1] * item[2]);
    FloatBuffer zeros = FloatBuffer.allocate(floats);
    Replica r = borrow();
    try {
      INDArray out = forward(r, zeros, item, floats, 1);
      long dim = out.length();
      close(out);
      return (int) dim;
    } finally {
      idle.push(r);
    }
  }

  /** {@return the backend's model kind, e.g. {@code Keras Functional .h5 (Keras 2.4.0)}} */
  public String kind() {
    return kind;
  }

  /** {@return the network instances created so far (one per concurrent caller; for tests)} */
  public int replicasCreated() {
    return replicas.get();
  }

  @Override
  public ModelInfo info() {
    return info;
  }

  /**
   * Runs {@code n} images of the model's input size.
   *
   * @throws IllegalStateException if the file does not record the input size (a DL4J zip); use
   *     {@link #run(FloatBuffer, int, int, int, float[])}
   */
  @Override
  public void run(FloatBuffer input, int n, float[] out) {
    if (info.inputHeight() <= 0 || info.inputWidth() <= 0) {
      throw new IllegalStateException("the DL4J model's input size is not recorded in the file ("
          + Arrays.toString(info.inputShape()) + "); pass the preprocessing size to run(input, n, h, w, out)");
    }
    run(input, n, (int) info.inputHeight(), (int) info.inputWidth(), out);
  }

  /**
   * Runs {@code n} images of {@code height} x {@code width}: any size if the model's input size is dynamic
   * (a fully convolutional network with global pooling accepts any), otherwise the model's.
   */
  @Override
  public void run(FloatBuffer input, int n, int height, int width, float[] out) {
    if ((info.inputHeight() > 0 && info.inputHeight() != height)
        || (info.inputWidth() > 0 && info.inputWidth() != width)) {
      throw new IllegalArgumentException("images are " + height + "x" + width + " but the DL4J model's input is "
          + Arrays.toString(info.inputShape()));
    }
    long[] item = itemShape(height, width);
    int floatsPerItem = (int) (item[0] * item[1] * item[2]);
    if (input.capacity() < (long) n * floatsPerItem) {
      throw new IllegalArgumentException("input holds " + input.capacity() + " floats, " + n + " images of "
          + Arrays.toString(item) + " need " + ((long) n * floatsPerItem));
    }
    int dim = info.featureDim();
    if (out.length < n * dim) {
      throw new IllegalArgumentException("out holds " + out.length + " floats, need " + (n * dim));
    }
    lock.readLock().lock();
    try {
      if (closed) {
        throw new IllegalStateException("DL4J model " + sha.substring(0, 12) + " is closed");
      }
      Replica r = borrow();
      try {
        INDArray features = forward(r, input, item, floatsPerItem, n);
        try {
          if (features.length() != (long) n * dim) {
            throw new ModelException("DL4J model " + sha.substring(0, 12) + " layer '" + featureLayer + "' gave "
                + Arrays.toString(features.shape()) + " for input " + n + "x" + Arrays.toString(item)
                + ", expected " + dim + " values per image");
          }
          copyOut(features, out, n * dim);
        } finally {
          close(features);
        }
      } finally {
        idle.offerFirst(r);
      }
    } finally {
      lock.readLock().unlock();
    }
  }

  private INDArray forward(Replica r, FloatBuffer input, long[] item, int floatsPerItem, int n) {
    try {
      INDArray x = r.input(item, floatsPerItem, n, input);
      return r.net.output(featureLayers, false, new INDArray[] {x}, null)[0];
    } catch (RuntimeException e) {
      closeWorkspacesLeftOpen();
      throw new ModelException("DL4J failed on model " + sha.substring(0, 12) + " (" + kind + "), input '"
          + info.inputName() + "' " + n + "x" + Arrays.toString(item) + ", layer '" + featureLayer + "': " + e, e);
    }
  }

  /**
   * Closes the ND4J workspaces a failed {@code output} call left open on this thread. DL4J 1.0.0-M2.1 does
   * not always close them when it fails (later DL4J closes them itself), and an open workspace makes every
   * later DL4J call on the thread fail ("Expected no workspace active before call to
   * outputOfLayersDetached"), whatever the model: on Spark, every later task of that executor thread. p9
   * never calls DL4J inside a workspace of its own, so any workspace still open after a call is the call's.
   */
  static void closeWorkspacesLeftOpen() {
    for (MemoryWorkspace ws : Nd4j.getWorkspaceManager().getAllWorkspacesForCurrentThread()) {
      while (ws.isScopeActive()) {
        ws.close();
      }
    }
    Nd4j.getMemoryManager().setCurrentWorkspace(null);
  }

  private static void copyOut(INDArray features, float[] out, int count) {
    INDArray a = features;
    if (a.ordering() != 'c' || a.isView() || a.data().length() != a.length()) {
      a = features.dup('c');
    }
    try {
      FloatBuffer fb = a.data().asNio().order(ByteOrder.nativeOrder()).asFloatBuffer();
      fb.get(0, out, 0, count);
    } finally {
      if (a != features) {
        close(a);
      }
    }
  }

  private static void close(INDArray a) {
    if (a.closeable()) {
      a.close();
    }
  }

  private Replica borrow() {
    Replica r = idle.pollFirst();
    if (r != null) {
      return r;
    }
    ComputationGraph net = new ComputationGraph(conf.clone());
    net.init(params, false); // shares the one parameter array
    replicas.incrementAndGet();
    return new Replica(net);
  }

  /**
   * Waits for the runs in flight (they use the parameters it frees), then drops the replicas and frees their
   * input arrays and the shared parameters; a run after it throws an {@link IllegalStateException}.
   * Idempotent. ND4J frees each thread's workspaces when the thread ends.
   */
  @Override
  public void close() {
    lock.writeLock().lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      for (Replica r; (r = idle.pollFirst()) != null; ) {
        r.release();
      }
      if (params.closeable()) {
        params.close();
      }
    } finally {
      lock.writeLock().unlock();
    }
  }
}
