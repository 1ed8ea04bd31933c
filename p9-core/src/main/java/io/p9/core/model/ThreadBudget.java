package io.p9.core.model;

/**
 * How many threads one inference may use so that concurrent tasks do not oversubscribe the cores: an
 * executor with {@code cores} cores runs {@code cores / taskCpus} tasks at once, and each gets an equal
 * share. Two tasks on a 2-core executor get 1 thread each, not 2 (which would start 4 busy threads).
 */
public final class ThreadBudget {
  private ThreadBudget() {}

  /**
   * {@return the threads for one inference: {@code max(1, cores / max(1, cores / taskCpus))}}
   *
   * @param executorCores the executor's cores (&ge; 1)
   * @param taskCpus the cores each task takes, {@code spark.task.cpus} (&ge; 1)
   * @throws IllegalArgumentException if either is below 1
   */
  public static int intraOpThreads(int executorCores, int taskCpus) {
    if (executorCores < 1) {
      throw new IllegalArgumentException("executorCores must be >= 1, was " + executorCores);
    }
    if (taskCpus < 1) {
      throw new IllegalArgumentException("taskCpus must be >= 1, was " + taskCpus);
    }
    int concurrentTasks = Math.max(1, executorCores / taskCpus);
    return Math.max(1, executorCores / concurrentTasks);
  }
}
