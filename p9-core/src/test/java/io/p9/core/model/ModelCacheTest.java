package io.p9.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p9.core.testing.Fixtures;
import io.p9.core.testing.RepoData;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class ModelCacheTest {

  @Test
  void oneModelPerKeyWhateverTheNumberOfThreads() throws Exception {
    ModelCache cache = new ModelCacheProbe().cache;
    ModelBytes mb = ModelBytes.of("mobilenetv2-12-int8.onnx", Files.readAllBytes(RepoData.mobilenet()));
    ModelKey key = new ModelKey(mb.sha256(), ModelOptions.defaults());
    AtomicInteger supplierCalls = new AtomicInteger();
    int threads = 8;
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    FeatureModel first;
    FeatureModel other;
    try {
      List<Future<ModelCache.Lease>> got = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        got.add(pool.submit(() -> {
          start.await();
          return cache.acquire(key, () -> {
            supplierCalls.incrementAndGet();
            return mb;
          });
        }));
      }
      start.countDown();
      first = got.get(0).get().model();
      for (Future<ModelCache.Lease> f : got) {
        assertThat(f.get().model()).isSameAs(first);
      }
      assertThat(supplierCalls).hasValue(1);
      assertThat(cache.modelsCreated()).isEqualTo(1);
      assertRuns(first);

      other = cache.acquire(new ModelKey(mb.sha256(), ModelOptions.defaults().withIntraOpThreads(2)),
          () -> mb).model();
      assertThat(other).isNotSameAs(first);
      assertThat(cache.modelsCreated()).isEqualTo(2);
      assertThat(cache.size()).isEqualTo(2);
    } finally {
      pool.shutdownNow();
      cache.clear();
    }
    assertThat(cache.size()).isZero();
    assertClosed(first);
    assertClosed(other);
  }

  @Test
  void bytesThatDoNotMatchTheKeyAreRefusedAndNotCached() throws Exception {
    ModelCache cache = new ModelCacheProbe().cache;
    ModelBytes mb = ModelBytes.of("m.onnx", Files.readAllBytes(RepoData.mobilenet()));
    ModelKey wrong = new ModelKey("00" + mb.sha256().substring(2), ModelOptions.defaults());
    assertThatThrownBy(() -> cache.acquire(wrong, () -> mb)).isInstanceOf(ModelException.class)
        .hasMessageContaining("sha256");
    assertThat(cache.size()).isZero();
    assertThat(cache.modelsCreated()).isZero();
  }

  /**
   * A fails to load while B waits for A's load: B loads instead, into the cache, so that a third caller gets
   * B's model (one model per JVM) and clear() closes it. Before the fix B loaded into the entry A had just
   * removed: a second model, never closed.
   */
  @Test
  @Timeout(60)
  void aCallerWaitingForALoadThatFailsLoadsIntoTheCache() throws Exception {
    ModelCache cache = new ModelCacheProbe().cache;
    ModelBytes mb = tinyModel();
    ModelKey key = new ModelKey(mb.sha256(), ModelOptions.defaults());
    CountDownLatch loading = new CountDownLatch(1);
    CountDownLatch fail = new CountDownLatch(1);
    CompletableFuture<Throwable> aFailure = new CompletableFuture<>();
    Thread a = new Thread(() -> {
      try {
        cache.acquire(key, () -> {
          loading.countDown();
          await(fail);
          throw new IllegalStateException("broadcast read failed");
        });
        aFailure.complete(null);
      } catch (Throwable t) {
        aFailure.complete(t);
      }
    }, "loader-a");
    a.start();
    loading.await();
    CompletableFuture<FeatureModel> fromB = new CompletableFuture<>();
    Thread b = new Thread(() -> complete(fromB, () -> cache.acquire(key, () -> mb).model()), "waiter-b");
    b.start();
    awaitBlockedBy(b, a);
    fail.countDown();
    a.join();
    b.join();

    assertThat(aFailure.get()).isInstanceOf(IllegalStateException.class).hasMessage("broadcast read failed");
    FeatureModel bModel = fromB.get();
    assertRuns(bModel);
    assertThat(cache.acquire(key, () -> {
      throw new AssertionError("the model is cached: the bytes must not be read again");
    }).model()).isSameAs(bModel);
    assertThat(cache.modelsCreated()).isEqualTo(1);
    assertThat(cache.size()).isEqualTo(1);
    cache.clear();
    assertThat(cache.size()).isZero();
    assertClosed(bModel);
  }

  /**
   * clear() runs while A loads: it waits for the load, and A must not get the model clear() then closes.
   * A's model is closed by A itself and A loads again into the cache.
   */
  @Test
  @Timeout(60)
  void aLoadThatClearOverlapsDoesNotReturnAClosedModel() throws Exception {
    ModelCache cache = new ModelCacheProbe().cache;
    ModelBytes mb = tinyModel();
    ModelKey key = new ModelKey(mb.sha256(), ModelOptions.defaults());
    CountDownLatch loading = new CountDownLatch(1);
    CountDownLatch proceed = new CountDownLatch(1);
    AtomicInteger supplierCalls = new AtomicInteger();
    CompletableFuture<FeatureModel> fromA = new CompletableFuture<>();
    Thread a = new Thread(() -> complete(fromA, () -> cache.acquire(key, () -> {
      if (supplierCalls.incrementAndGet() == 1) {
        loading.countDown();
        await(proceed);
      }
      return mb;
    }).model()), "loader-a");
    a.start();
    loading.await();
    Thread clearing = new Thread(cache::clear, "clear");
    clearing.start();
    awaitBlockedBy(clearing, a);
    proceed.countDown();
    a.join();
    clearing.join();

    FeatureModel aModel = fromA.get();
    assertRuns(aModel);
    assertThat(supplierCalls).hasValue(2);
    assertThat(cache.modelsCreated()).as("the first load was closed, the second cached").isEqualTo(2);
    assertThat(cache.size()).isEqualTo(1);
    assertThat(cache.acquire(key, () -> {
      throw new AssertionError("the model is cached: the bytes must not be read again");
    }).model()).isSameAs(aModel);
    cache.clear();
    assertClosed(aModel);
  }

  /**
   * With maxIdle 2, a third idle model closes the least recently used one (k2: k1 was used again after it);
   * the two kept are handed out again as they are, the evicted one is loaded again.
   */
  @Test
  void beyondMaxIdleTheLeastRecentlyUsedIdleModelIsClosed() {
    ModelCache cache = new ModelCacheProbe().cache;
    cache.setMaxIdle(2);
    ModelBytes mb = tinyModel();
    ModelKey k1 = tinyKey(mb, 1);
    ModelKey k2 = tinyKey(mb, 2);
    ModelKey k3 = tinyKey(mb, 3);
    try {
      FeatureModel m1 = leaseAndRelease(cache, k1, () -> mb);
      FeatureModel m2 = leaseAndRelease(cache, k2, () -> mb);
      assertThat(leaseAndRelease(cache, k1, ModelCacheTest::notAgain)).isSameAs(m1);
      FeatureModel m3 = leaseAndRelease(cache, k3, () -> mb);

      assertThat(cache.modelsCreated()).isEqualTo(3);
      assertThat(cache.size()).isEqualTo(2);
      assertClosed(m2);
      assertRuns(m1);
      assertRuns(m3);
      assertThat(leaseAndRelease(cache, k1, ModelCacheTest::notAgain)).isSameAs(m1);
      assertThat(leaseAndRelease(cache, k3, ModelCacheTest::notAgain)).isSameAs(m3);
      FeatureModel again = leaseAndRelease(cache, k2, () -> mb);
      assertThat(again).isNotSameAs(m2);
      assertRuns(again);
      assertThat(cache.modelsCreated()).isEqualTo(4);
      assertThat(cache.size()).isEqualTo(2);
    } finally {
      cache.clear();
    }
  }

  /**
   * A leased model stays open whatever maxIdle says: with maxIdle 0 an idle model is closed as soon as its
   * last lease is, the leased one only when its own lease is closed.
   */
  @Test
  void aLeasedModelIsNotClosedUntilItsLastLeaseIs() {
    ModelCache cache = new ModelCacheProbe().cache;
    ModelBytes mb = tinyModel();
    try (ModelCache.Lease held = cache.acquire(tinyKey(mb, 1), () -> mb)) {
      ModelCache.Lease second = cache.acquire(tinyKey(mb, 1), ModelCacheTest::notAgain);
      cache.setMaxIdle(0);
      FeatureModel other = leaseAndRelease(cache, tinyKey(mb, 2), () -> mb);
      assertClosed(other);
      second.close();
      second.close();
      assertThatThrownBy(second::model).isInstanceOf(IllegalStateException.class);
      assertRuns(held.model());
      assertThat(cache.size()).isEqualTo(1);
      FeatureModel m = held.model();
      held.close();
      assertClosed(m);
      assertThat(cache.size()).isZero();
    } finally {
      cache.clear();
    }
  }

  /**
   * Threads lease models of 5 keys at random, run them while leased and release them, with maxIdle 1: many
   * evictions, none of a model in use (a run on a closed model throws); the same key leased at the same time
   * is one model. Seeded: the seed is in the failure message.
   */
  @Test
  @Timeout(120)
  void concurrentLeasesOfOtherKeysNeverCloseALeasedModel() throws Exception {
    long seed = 20261205L;
    ModelCache cache = new ModelCacheProbe().cache;
    cache.setMaxIdle(1);
    ModelBytes mb = tinyModel();
    int keys = 5;
    int threads = 4;
    FeatureModel reference = leaseAndRelease(cache, tinyKey(mb, 1), () -> mb);
    float[] expected = runOnZeros(reference);
    List<Map<FeatureModel, Integer>> holders = new ArrayList<>();
    for (int k = 0; k < keys; k++) {
      holders.add(new HashMap<>());
    }
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<Integer>> runs = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        Random rnd = new Random(seed + t);
        runs.add(pool.submit(() -> {
          int done = 0;
          for (int i = 0; i < 60; i++) {
            int k = rnd.nextInt(keys);
            try (ModelCache.Lease lease = cache.acquire(tinyKey(mb, k + 1), () -> mb)) {
              FeatureModel m = lease.model();
              Map<FeatureModel, Integer> held = holders.get(k);
              synchronized (held) {
                assertThat(held.keySet()).as("seed %d: key %d leased twice at once", seed, k).isSubsetOf(m);
                held.merge(m, 1, Integer::sum);
              }
              for (int r = rnd.nextInt(3); r >= 0; r--) {
                assertThat(runOnZeros(m)).as("seed %d: key %d", seed, k).containsExactly(expected);
                done++;
              }
              synchronized (held) {
                held.computeIfPresent(m, (x, n) -> n == 1 ? null : n - 1);
              }
            }
          }
          return done;
        }));
      }
      for (Future<Integer> f : runs) {
        assertThat(f.get()).isPositive();
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(cache.size()).as("seed %d", seed).isEqualTo(1);
    assertThat(cache.modelsCreated()).as("seed %d", seed).isGreaterThan(keys);
    cache.clear();
    assertThat(cache.size()).isZero();
  }

  /** A model that loads in milliseconds: the tiny MobileNetV2-style fixture. */
  private static ModelBytes tinyModel() {
    return ModelBytes.of("tiny_mnv2.onnx", Fixtures.bytes("tiny_mnv2.onnx"));
  }

  /** The tiny model's key with {@code threads} intra-op threads: one file, distinct cache keys. */
  private static ModelKey tinyKey(ModelBytes mb, int threads) {
    return new ModelKey(mb.sha256(), ModelOptions.defaults().withIntraOpThreads(threads));
  }

  /** Leases {@code key}'s model, checks that it runs and releases it; returns the model. */
  private static FeatureModel leaseAndRelease(ModelCache cache, ModelKey key, Supplier<ModelBytes> bytes) {
    try (ModelCache.Lease lease = cache.acquire(key, bytes)) {
      assertRuns(lease.model());
      return lease.model();
    }
  }

  /** A bytes supplier for a model that must be cached. */
  private static ModelBytes notAgain() {
    throw new AssertionError("the model is cached: the bytes must not be read again");
  }

  private static float[] runOnZeros(FeatureModel m) {
    long floats = 1;
    for (long d : m.info().inputShape()) {
      floats *= d > 0 ? d : 1;
    }
    float[] out = new float[m.info().featureDim()];
    m.run(FloatBuffer.allocate((int) floats), 1, out);
    return out;
  }

  private static void assertRuns(FeatureModel m) {
    assertThat(runOnZeros(m)).hasSize(m.info().featureDim());
  }

  private static void assertClosed(FeatureModel m) {
    assertThatThrownBy(() -> runOnZeros(m)).as("a closed model").isNotNull();
  }

  private static <T> void complete(CompletableFuture<T> f, Supplier<T> call) {
    try {
      f.complete(call.get());
    } catch (Throwable t) {
      f.completeExceptionally(t);
    }
  }

  /** Waits for {@code latch} in a loader thread; an interrupt fails the load. */
  private static void await(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Waits until {@code waiter} is blocked on a monitor that {@code owner} holds. */
  private static void awaitBlockedBy(Thread waiter, Thread owner) {
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    while (true) {
      ThreadInfo info = mx.getThreadInfo(waiter.getId());
      if (info != null && info.getThreadState() == Thread.State.BLOCKED
          && info.getLockOwnerId() == owner.getId()) {
        return;
      }
      assertThat(waiter.isAlive()).as("%s ended before it blocked", waiter.getName()).isTrue();
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
    }
  }

  /** A fresh cache for one test (the shared one is per JVM). */
  static final class ModelCacheProbe {
    final ModelCache cache = ModelCache.newIsolated();
  }
}
