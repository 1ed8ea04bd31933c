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
   * same key wait for one load. A failed load is not cached: the callers that were waiting for it then try
   * in turn, so the first success is the one model, and a load that keeps failing fails for each of them. A
   * model loaded while {@link #clear()} runs is closed, and loaded again into
   * the cache, so the caller never gets a model the cache no longer holds.
   */
  public FeatureModel acquire(ModelKey key, Supplier<ModelBytes> bytes) {
    while (true) {
      Entry e = entries.computeIfAbsent(key, k -> new Entry());
      FeatureModel m;
      try {
        m = e.get(key, bytes);
      } catch (RuntimeException | Error ex) {
        entries.remove(key, e);
        throw ex;
      }
      if (m != null) {
        return m;
      }
      // The entry was closed by clear() or given up by a failed load: start again with a fresh one.
      entries.remove(key, e);
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

  /**
   * Closes and removes every cached model. A load in progress is waited for, and its model closed; its
   * caller gets a fresh one (see {@link #acquire}).
   */
  public void clear() {
    for (Map.Entry<ModelKey, Entry> en : entries.entrySet()) {
      Entry e = en.getValue();
      e.close();
      // Only this entry: the key may already map to a fresh one that a caller created after this one died.
      entries.remove(en.getKey(), e);
    }
  }

  /**
   * One key's model. Once dead (its load failed, or it was closed) it never holds a model again: whoever
   * finds it dead goes back to the map for a fresh entry. {@code dead} is set before {@link #close()} waits
   * for a load in progress, so that load sees it and does not hand out the model that close would close.
   */
  private final class Entry {
    private volatile FeatureModel model;
    private volatile boolean dead;

    /** The model, loading it if needed; null if this entry is dead. */
    FeatureModel get(ModelKey key, Supplier<ModelBytes> bytes) {
      FeatureModel m = model;
      if (m != null) {
        return m;
      }
      synchronized (this) {
        if (dead) {
          return null;
        }
        if (model != null) {
          return model;
        }
        try {
          m = load(key, bytes);
        } catch (RuntimeException | Error ex) {
          dead = true;
          throw ex;
        }
        if (dead) {
          // clear() closed this entry during the load (it waits for this lock): do not hand the model out.
          m.close();
          return null;
        }
        model = m;
        return m;
      }
    }

    private FeatureModel load(ModelKey key, Supplier<ModelBytes> bytes) {
      ModelBytes mb = bytes.get();
      if (!mb.sha256().equals(key.sha256())) {
        throw new ModelException("model bytes for " + mb.name() + " have sha256 " + mb.sha256()
            + " but the key expects " + key.sha256());
      }
      long t0 = System.nanoTime();
      ModelBackend backend = ModelBackends.select(key.options().backend(), mb);
      FeatureModel m = backend.load(mb, key.options());
      created.incrementAndGet();
      LOG.info("Loaded {} with {} in {} ms: {}", mb, backend.name(),
          (System.nanoTime() - t0) / 1_000_000, m.info());
      return m;
    }

    void close() {
      dead = true;
      synchronized (this) {
        FeatureModel m = model;
        model = null;
        if (m != null) {
          m.close();
        }
      }
    }
  }
}
