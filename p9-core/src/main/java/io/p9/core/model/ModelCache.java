package io.p9.core.model;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The per-JVM model cache: one {@link FeatureModel} per {@link ModelKey} (model sha256 + options), created
 * on first use and shared by every thread of the JVM (all task threads of a Spark executor). The bytes
 * supplier is called only when the model is not cached yet, so a Spark broadcast is read once per JVM.
 * Models stay until {@link #clear()} or JVM exit; the cache closes them.
 */
public final class ModelCache {
  private static final Logger LOG = LoggerFactory.getLogger(ModelCache.class);
  private static final ModelCache SHARED = new ModelCache();

  private final Map<ModelKey, Entry> entries = new ConcurrentHashMap<>();
  private final AtomicLong created = new AtomicLong();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(SHARED::clear, "p9-model-cache-close"));
  }

  /** A cache of its own, not the JVM-wide one (tests, benchmarks). */
  public static ModelCache newIsolated() {
    return new ModelCache();
  }

  private ModelCache() {}

  /** The JVM-wide cache. */
  public static ModelCache shared() {
    return SHARED;
  }

  /**
   * The cached model for {@code key}, loading it from {@code bytes} if absent. Concurrent callers for the
   * same key wait for one load. A failed load is not cached.
   */
  public FeatureModel acquire(ModelKey key, Supplier<ModelBytes> bytes) {
    Entry e = entries.computeIfAbsent(key, k -> new Entry());
    try {
      return e.get(key, bytes);
    } catch (RuntimeException ex) {
      entries.remove(key, e);
      throw ex;
    }
  }

  /** Number of models this cache has created since the JVM started (observable by tests/benchmarks). */
  public long modelsCreated() {
    return created.get();
  }

  /** Models currently cached. */
  public int size() {
    return entries.size();
  }

  /** Closes and removes every cached model. */
  public void clear() {
    for (var it = entries.entrySet().iterator(); it.hasNext(); ) {
      var en = it.next();
      it.remove();
      en.getValue().close();
    }
  }

  private final class Entry {
    private volatile FeatureModel model;

    FeatureModel get(ModelKey key, Supplier<ModelBytes> bytes) {
      FeatureModel m = model;
      if (m != null) {
        return m;
      }
      synchronized (this) {
        if (model == null) {
          ModelBytes mb = bytes.get();
          if (!mb.sha256().equals(key.sha256())) {
            throw new ModelException("model bytes for " + mb.name() + " have sha256 " + mb.sha256()
                + " but the key expects " + key.sha256());
          }
          long t0 = System.nanoTime();
          ModelBackend backend = ModelBackends.select(key.options().backend(), mb);
          model = backend.load(mb, key.options());
          created.incrementAndGet();
          LOG.info("Loaded {} with {} in {} ms: {}", mb, backend.name(),
              (System.nanoTime() - t0) / 1_000_000, model.info());
        }
        return model;
      }
    }

    synchronized void close() {
      if (model != null) {
        model.close();
        model = null;
      }
    }
  }
}
