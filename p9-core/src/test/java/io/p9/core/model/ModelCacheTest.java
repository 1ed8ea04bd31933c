package io.p9.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p9.core.testing.RepoData;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

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
      FeatureModel first = got.get(0).get();
      for (Future<FeatureModel> f : got) {
        assertThat(f.get()).isSameAs(first);
      }
      assertThat(supplierCalls).hasValue(1);
      assertThat(cache.modelsCreated()).isEqualTo(1);

      FeatureModel other = cache.acquire(new ModelKey(mb.sha256(), ModelOptions.defaults().withIntraOpThreads(2)),
          () -> mb);
      assertThat(other).isNotSameAs(first);
      assertThat(cache.modelsCreated()).isEqualTo(2);
      assertThat(cache.size()).isEqualTo(2);
    } finally {
      pool.shutdownNow();
      cache.clear();
    }
    assertThat(cache.size()).isZero();
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

  /** A fresh cache for one test (the shared one is per JVM). */
  static final class ModelCacheProbe {
    final ModelCache cache = ModelCache.newIsolated();
  }
}
