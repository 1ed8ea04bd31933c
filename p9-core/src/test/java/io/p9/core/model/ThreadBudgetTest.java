package io.p9.core.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

class ThreadBudgetTest {

  @Test
  void twoTasksOnTwoCoresGetOneThreadEach() {
    assertThat(ThreadBudget.intraOpThreads(2, 1)).isEqualTo(1);
    assertThat(ThreadBudget.intraOpThreads(2, 2)).isEqualTo(2);
    assertThat(ThreadBudget.intraOpThreads(16, 4)).isEqualTo(4);
  }

  @Test
  void threadsTimesConcurrentTasksNeverExceedTheCores() {
    long seed = 20261204L;
    Random r = new Random(seed);
    for (int i = 0; i < 1000; i++) {
      int cores = 1 + r.nextInt(128);
      int taskCpus = 1 + r.nextInt(cores);
      int threads = ThreadBudget.intraOpThreads(cores, taskCpus);
      int concurrent = cores / taskCpus;
      assertThat(threads * concurrent).as("seed %d case %d: cores %d taskCpus %d", seed, i, cores, taskCpus)
          .isLessThanOrEqualTo(cores);
      assertThat(threads).as("seed %d case %d", seed, i).isGreaterThanOrEqualTo(taskCpus);
    }
  }
}
