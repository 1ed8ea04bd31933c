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
import java.util.List;
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
      List<Future<FeatureModel>> got = new ArrayList<>();
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
      first = got.get(0).get();
      for (Future<FeatureModel> f : got) {
        assertThat(f.get()).isSameAs(first);
      }
      assertThat(supplierCalls).hasValue(1);
      assertThat(cache.modelsCreated()).isEqualTo(1);
      assertRuns(first);

      other = cache.acquire(new ModelKey(mb.sha256(), ModelOptions.defaults().withIntraOpThreads(2)),
          () -> mb);
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
    Thread b = new Thread(() -> complete(fromB, () -> cache.acquire(key, () -> mb)), "waiter-b");
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
    })).isSameAs(bModel);
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
    })), "loader-a");
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
    })).isSameAs(aModel);
    cache.clear();
    assertClosed(aModel);
  }

  /** A model that loads in milliseconds: the tiny MobileNetV2-style fixture. */
  private static ModelBytes tinyModel() {
    return ModelBytes.of("tiny_mnv2.onnx", Fixtures.bytes("tiny_mnv2.onnx"));
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
