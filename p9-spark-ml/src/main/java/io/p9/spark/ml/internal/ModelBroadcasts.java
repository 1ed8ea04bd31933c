package io.p9.spark.ml.internal;

import io.p9.core.model.ModelBackend;
import io.p9.core.model.ModelBytes;
import java.lang.ref.WeakReference;
import java.util.HashMap;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

/**
 * The driver side of {@code CnnFeaturizer}'s models in one SparkContext, shared by every stage that resolves a
 * model there (a stage, its copies in a parameter grid, {@code copy(extra)}, {@code transform(ds, paramMap)},
 * and the stage again after a param change): each model (sha256) is broadcast once, each model file is
 * read once per version (the stamp of it and its sidecar: length and modification time), and a backend is
 * asked once whether a model records its input size (an ONNX backend parses the whole model). A read holds the
 * registry's lock, so that stages resolving at once (CrossValidator's parallelism) read and broadcast once.
 *
 * <p>A broadcast lives while a stage or a DataFrame it transformed holds it: this registry holds it weakly, so
 * Spark's ContextCleaner removes one that nothing uses any more (a model given up in a long-lived
 * application), and the next stage that needs it reads and broadcasts it again. Each SparkContext has a
 * registry of its own ({@link #of}), so a stopped context's broadcasts are never handed out.
 *
 * <p>The broadcast holds the bare model bytes: broadcasts go through {@code spark.serializer}, and Kryo's
 * default serializer cannot build a record such as {@link ModelBytes}.
 */
public final class ModelBroadcasts {
  private static final Map<SparkContext, ModelBroadcasts> BY_CONTEXT = new WeakHashMap<>();
  private static final AtomicLong CONTEXTS = new AtomicLong();

  private final long id = CONTEXTS.incrementAndGet();
  /** Weak: the registry is the value of its context in a weak map. */
  private final WeakReference<SparkContext> sc;
  /** Guarded by this. */
  private final Map<String, WeakReference<Broadcast<byte[]>>> broadcasts = new HashMap<>();
  /** The last version read of each model location. Guarded by this. */
  private final Map<String, FileVersion> files = new HashMap<>();
  /** {@link ModelBackend#recordsInputSize} by backend name and sha256. Guarded by this. */
  private final Map<String, Boolean> recordsInputSize = new HashMap<>();

  private ModelBroadcasts(SparkContext sc) {
    this.sc = new WeakReference<>(sc);
  }

  /**
   * {@return the registry of {@code sc}, made on first use} Those of stopped contexts are dropped.
   *
   * @param sc the driver's SparkContext
   */
  public static ModelBroadcasts of(SparkContext sc) {
    synchronized (BY_CONTEXT) {
      BY_CONTEXT.keySet().removeIf(SparkContext::isStopped);
      return BY_CONTEXT.computeIfAbsent(sc, ModelBroadcasts::new);
    }
  }

  /** {@return a number no other SparkContext's registry in this JVM has} */
  public long id() {
    return id;
  }

  /**
   * A model file as read.
   *
   * @param bytes its bytes, under the name its stage gives them
   * @param sidecar its sidecar's bytes, or null if it has none
   */
  public record ModelFile(ModelBytes bytes, byte[] sidecar) {}

  /**
   * The model file at {@code location}: the bytes read before if {@code version} (the stamp of the file and its
   * sidecar) is that of the last read and its model is still broadcast in this context, else what {@code read}
   * gives.
   *
   * @param location the model's location
   * @param version the stamp of the file and its sidecar ({@link HadoopFiles#stamp})
   * @param read reads the file and its sidecar
   * @return the model file
   */
  public synchronized ModelFile read(String location, String version, Supplier<ModelFile> read) {
    FileVersion last = files.get(location);
    if (last != null && last.version().equals(version)) {
      Broadcast<byte[]> bc = live(last.sha256());
      if (bc != null) {
        // the driver's block manager keeps the value it was given: these are the bytes read before
        return new ModelFile(new ModelBytes(last.name(), bc.value(), last.sha256()), last.sidecar());
      }
    }
    ModelFile m = read.get();
    files.put(location, new FileVersion(version, m.bytes().name(), m.bytes().sha256(), m.sidecar()));
    return m;
  }

  /**
   * {@return the broadcast of {@code model}'s bytes in this context: the one of its sha256, made now if there is
   * none}
   *
   * @param model the model file
   * @throws IllegalStateException if the SparkContext is gone
   */
  public synchronized Broadcast<byte[]> broadcast(ModelBytes model) {
    Broadcast<byte[]> bc = live(model.sha256());
    if (bc == null) {
      SparkContext context = sc.get();
      if (context == null) {
        throw new IllegalStateException("the SparkContext of model registry " + id + " is gone");
      }
      bc = JavaSparkContext.fromSparkContext(context).broadcast(model.bytes());
      broadcasts.put(model.sha256(), new WeakReference<>(bc));
    }
    return bc;
  }

  /**
   * {@return {@code backend.recordsInputSize(model)}, asked once per backend and model in this context}
   *
   * @param backend the backend that runs the model
   * @param model the model file
   */
  public boolean recordsInputSize(ModelBackend backend, ModelBytes model) {
    String key = backend.name() + "|" + model.sha256();
    synchronized (this) {
      Boolean known = recordsInputSize.get(key);
      if (known != null) {
        return known;
      }
    }
    // outside the lock: it may parse the whole model
    boolean records = backend.recordsInputSize(model);
    synchronized (this) {
      recordsInputSize.put(key, records);
    }
    return records;
  }

  /** The broadcast of {@code sha256} if it is still held somewhere; forgets those collected. Holds this. */
  private Broadcast<byte[]> live(String sha256) {
    broadcasts.values().removeIf(r -> r.get() == null);
    WeakReference<Broadcast<byte[]>> ref = broadcasts.get(sha256);
    return ref == null ? null : ref.get();
  }

  private record FileVersion(String version, String name, String sha256, byte[] sidecar) {}
}
