package io.p9.core.model;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The per-JVM model cache: one {@link FeatureModel} per {@link ModelKey} (model sha256 + options), created
 * on first use and shared by every thread of the JVM (all task threads of a Spark executor). The bytes
 * supplier is called only when the model is not cached yet, so a Spark broadcast is read once per JVM.
 *
 * <p><b>Leases and eviction.</b> {@link #acquire} hands out a {@link Lease}; the model is in use until every
 * lease on it is closed. A model in use is never closed by the cache (only {@link #clear()} closes it). Of the
 * models no lease holds (idle), the cache keeps the {@link #maxIdle()} most recently used and closes the
 * others, least recently used first; a later {@link #acquire} of an evicted key loads it again. Acquire and
 * release take one short cache-wide lock (callers do it once per partition, not per image); no lock of the
 * cache is held while a model runs.
 */
public final class ModelCache {
  /** Idle models a cache keeps unless told otherwise: two featurizers in one pipeline, run again, reload none. */
  public static final int DEFAULT_MAX_IDLE = 2;

  private static final Logger LOG = LoggerFactory.getLogger(ModelCache.class);
  private static final ModelCache SHARED = new ModelCache();

  /** Guards {@link #entries}, {@link #clock}, {@link #maxIdle} and each entry's leases and last use. */
  private final Object lock = new Object();
  private final Map<ModelKey, Entry> entries = new HashMap<>();
  private final AtomicLong created = new AtomicLong();
  private long clock;
  private int maxIdle = DEFAULT_MAX_IDLE;

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(SHARED::clear, "p9-model-cache-close"));
  }

  /** {@return a new empty cache of its own, not the JVM-wide one (tests, benchmarks)} */
  public static ModelCache newIsolated() {
    return new ModelCache();
  }

  private ModelCache() {}

  /** {@return the JVM-wide cache, which closes its models when the JVM shuts down} */
  public static ModelCache shared() {
    return SHARED;
  }

  /**
   * A lease on the cached model for {@code key}, loading it from {@code bytes} if absent; close the lease when
   * done with the model (a Spark task: in its task-completion listener). Concurrent callers for the same key
   * wait for one load. A failed load is not cached: the callers that were waiting for it then try in turn, so
   * the first success is the one model, and a load that keeps failing fails for each of them. A model loaded
   * while {@link #clear()} runs is closed, and loaded again into the cache, so the caller never gets a model
   * the cache no longer holds.
   *
   * @param key the model's sha256 and load options
   * @param bytes gives the model file; called only if the model must be loaded
   * @return the lease, holding the loaded model
   * @throws ModelException (or another exception of the backend) if the model cannot be loaded
   */
  public Lease acquire(ModelKey key, Supplier<ModelBytes> bytes) {
    while (true) {
      Entry e;
      synchronized (lock) {
        e = entries.computeIfAbsent(key, k -> new Entry());
        e.leases++;
        e.lastUse = ++clock;
      }
      FeatureModel m;
      try {
        m = e.get(key, bytes);
      } catch (RuntimeException | Error ex) {
        release(key, e);
        throw ex;
      }
      if (m != null) {
        return new Lease(key, e, m);
      }
      // The entry was closed by clear() or given up by a failed load: start again with a fresh one.
      release(key, e);
    }
  }

  /** {@return the number of models this cache has created since the JVM started (for tests and benchmarks)} */
  public long modelsCreated() {
    return created.get();
  }

  /** {@return the number of models currently cached, in use or idle} */
  public int size() {
    synchronized (lock) {
      return entries.size();
    }
  }

  /** {@return how many models that no lease holds this cache keeps ({@value #DEFAULT_MAX_IDLE} unless set)} */
  public int maxIdle() {
    synchronized (lock) {
      return maxIdle;
    }
  }

  /**
   * Keeps at most {@code n} (&ge; 0) idle models from now on, closing the least recently used idle models
   * beyond it; 0 closes each model when its last lease is closed. Models in use are not affected.
   *
   * @param n the idle models to keep
   * @throws IllegalArgumentException if {@code n} is negative
   */
  public void setMaxIdle(int n) {
    if (n < 0) {
      throw new IllegalArgumentException("maxIdle must be >= 0 but was " + n);
    }
    List<Entry> evicted;
    synchronized (lock) {
      if (n == maxIdle) {
        return;
      }
      maxIdle = n;
      evicted = evictIdle();
    }
    closeAll(evicted);
  }

  /**
   * Closes and removes every cached model, those in use too (JVM shutdown, tests): a lease on one of them
   * then holds a closed model. A load in progress is waited for, and its model closed; its caller gets a
   * fresh one (see {@link #acquire}).
   */
  public void clear() {
    List<Entry> all;
    synchronized (lock) {
      all = new ArrayList<>(entries.values());
      entries.clear();
      // before the lock is released, so that a load in progress sees it (Entry.get)
      all.forEach(e -> e.dead = true);
    }
    closeAll(all);
  }

  /** Ends one lease of {@code e}, then closes the idle models beyond {@link #maxIdle()}. */
  private void release(ModelKey key, Entry e) {
    List<Entry> evicted;
    synchronized (lock) {
      e.leases--;
      e.lastUse = ++clock;
      if (e.dead && entries.get(key) == e) {
        // its load failed: the next caller starts with a fresh entry
        entries.remove(key);
      }
      evicted = e.leases == 0 ? evictIdle() : List.of();
    }
    closeAll(evicted);
  }

  /**
   * Removes the least recently used idle entries beyond {@link #maxIdle} from the map and returns them, to be
   * closed outside the lock: no one can lease them any more. Caller holds {@link #lock}.
   */
  private List<Entry> evictIdle() {
    List<Map.Entry<ModelKey, Entry>> idle = new ArrayList<>();
    for (Map.Entry<ModelKey, Entry> en : entries.entrySet()) {
      if (en.getValue().leases == 0) {
        idle.add(en);
      }
    }
    if (idle.size() <= maxIdle) {
      return List.of();
    }
    idle.sort(Comparator.comparingLong(en -> en.getValue().lastUse));
    List<Entry> evicted = new ArrayList<>();
    for (Map.Entry<ModelKey, Entry> en : idle.subList(0, idle.size() - maxIdle)) {
      entries.remove(en.getKey());
      en.getValue().dead = true;
      evicted.add(en.getValue());
      LOG.info("Closing idle model {} ({} idle models kept)", en.getKey(), maxIdle);
    }
    return evicted;
  }

  private static void closeAll(List<Entry> dead) {
    for (Entry e : dead) {
      e.close();
    }
  }

  /**
   * A caller's hold on a cached model: the cache does not close the model (except in {@link #clear()}) until
   * every lease on it is closed. Closing a lease again does nothing. Not for use by several threads at once;
   * the model it gives may be.
   */
  public final class Lease implements AutoCloseable {
    private final ModelKey key;
    private final Entry entry;
    private final FeatureModel model;
    private boolean closed;

    private Lease(ModelKey key, Entry entry, FeatureModel model) {
      this.key = key;
      this.entry = entry;
      this.model = model;
    }

    /**
     * The leased model, shared with the other holders: do not close it.
     *
     * @return the model
     * @throws IllegalStateException once this lease is closed
     */
    public FeatureModel model() {
      if (closed) {
        throw new IllegalStateException("the lease on model " + key + " is closed");
      }
      return model;
    }

    /** Ends this lease; the model stays cached while it is among the {@link #maxIdle()} last used. */
    @Override
    public void close() {
      if (!closed) {
        closed = true;
        release(key, entry);
      }
    }
  }

  /**
   * One key's model. Once dead (its load failed, it was evicted, or it was closed) it never holds a model
   * again: whoever finds it dead goes back to the map for a fresh entry. {@code dead} is set before
   * {@link #close()} waits for a load in progress, so that load sees it and does not hand out the model that
   * close would close. {@code leases} and {@code lastUse} are guarded by the cache's lock.
   */
  private final class Entry {
    private volatile FeatureModel model;
    private volatile boolean dead;
    private int leases;
    private long lastUse;

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
