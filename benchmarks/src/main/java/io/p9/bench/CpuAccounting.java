package io.p9.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.Map;

/**
 * Where this JVM's CPU went during one benchmark iteration: the process total against wall time x cores
 * (how busy the machine was kept), Spark's task threads (decode, resize, inference, row handling), and
 * the rest (JIT compiler and GC threads, which are not Java threads, plus the driver's; a Java thread
 * that ended during the pass counts with the non-Java ones, as its CPU time can no longer be asked). With
 * the limit's CPU per image, {@code cores / limit}, the task threads' CPU per image bounds the pipeline's
 * ratio to the limit even if nothing else ran.
 */
final class CpuAccounting {
  private static final String TASK_THREAD = "Executor task launch worker";

  private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
  private final com.sun.management.OperatingSystemMXBean os =
      (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
  private final Map<Long, Long> threadCpuAtStart = new HashMap<>();
  private long processCpuAtStart;
  private long wallAtStart;

  void start() {
    threadCpuAtStart.clear();
    for (long id : threads.getAllThreadIds()) {
      threadCpuAtStart.put(id, threads.getThreadCpuTime(id));
    }
    processCpuAtStart = os.getProcessCpuTime();
    wallAtStart = System.nanoTime();
  }

  /** One line for the iteration that {@link #start()} began, which handled {@code images} images. */
  String stop(long images) {
    long wall = System.nanoTime() - wallAtStart;
    long process = os.getProcessCpuTime() - processCpuAtStart;
    long tasks = 0;
    long javaThreads = 0;
    for (ThreadInfo t : threads.getThreadInfo(threads.getAllThreadIds())) {
      long now = t == null ? -1 : threads.getThreadCpuTime(t.getThreadId());
      if (now < 0) {
        continue;
      }
      long used = now - threadCpuAtStart.getOrDefault(t.getThreadId(), 0L);
      javaThreads += used;
      if (t.getThreadName().startsWith(TASK_THREAD)) {
        tasks += used;
      }
    }
    int cores = Runtime.getRuntime().availableProcessors();
    String line = String.format("cpu: wall %.2f s, process %.2f s = %.1f %% of %d cores;"
        + " non-Java threads (JIT, GC) %.2f s; other Java threads %.2f s", wall / 1e9, process / 1e9,
        100.0 * process / wall / cores, cores, (process - javaThreads) / 1e9, (javaThreads - tasks) / 1e9);
    if (tasks == 0) {
      return line + "; no task threads in this JVM";
    }
    return line + String.format("; task threads %.2f s = %.3f ms per image", tasks / 1e9,
        tasks / 1e6 / images);
  }
}
