package io.p9.core.tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * A per-JVM pool of direct buffers for batch tensors, so that each task does not allocate (and leave to the
 * garbage collector) tens of megabytes of direct memory: float buffers for the packed images, byte buffers for
 * an input converted to another element type ({@link ElementType}). Buffers are grouped by capacity; at most
 * {@code maxIdlePerSize} idle buffers of one capacity (and kind) are kept.
 */
public final class FloatBufferPool {
  private static final FloatBufferPool SHARED = new FloatBufferPool(8);

  private final int maxIdlePerSize;
  private final java.util.Map<Integer, Deque<FloatBuffer>> idle = new java.util.HashMap<>();
  private final java.util.Map<Integer, Deque<ByteBuffer>> idleBytes = new java.util.HashMap<>();
  private long allocated;

  /**
   * An empty pool.
   *
   * @param maxIdlePerSize how many released buffers of one capacity (and kind) it keeps for reuse; released
   *     buffers beyond that are left to the garbage collector
   */
  public FloatBufferPool(int maxIdlePerSize) {
    this.maxIdlePerSize = maxIdlePerSize;
  }

  /** {@return the JVM's pool, which keeps up to 8 idle buffers of each capacity and kind} */
  public static FloatBufferPool shared() {
    return SHARED;
  }

  /**
   * {@return a direct, native-order buffer of exactly {@code floats} capacity (contents unspecified)} An idle
   * buffer of that capacity if the pool has one, else a new one; give it back with {@link #release}.
   *
   * @param floats the capacity, in floats
   */
  public synchronized FloatBuffer borrow(int floats) {
    Deque<FloatBuffer> q = idle.get(floats);
    if (q != null && !q.isEmpty()) {
      return q.pop();
    }
    allocated++;
    return ByteBuffer.allocateDirect(Math.multiplyExact(floats, Float.BYTES)).order(ByteOrder.nativeOrder())
        .asFloatBuffer();
  }

  /**
   * Gives back a buffer from {@link #borrow} for reuse: cleared, and kept if fewer than {@code maxIdlePerSize}
   * buffers of its capacity are idle. The caller must not use it afterwards.
   *
   * @param b the buffer
   */
  public synchronized void release(FloatBuffer b) {
    b.clear();
    Deque<FloatBuffer> q = idle.computeIfAbsent(b.capacity(), k -> new ArrayDeque<>());
    if (q.size() < maxIdlePerSize) {
      q.push(b);
    }
  }

  /**
   * {@return a direct, native-order byte buffer of exactly {@code bytes} capacity (contents unspecified)} An
   * idle buffer of that capacity if the pool has one, else a new one; give it back with {@link #releaseBytes}.
   *
   * @param bytes the capacity, in bytes
   */
  public synchronized ByteBuffer borrowBytes(int bytes) {
    Deque<ByteBuffer> q = idleBytes.get(bytes);
    if (q != null && !q.isEmpty()) {
      return q.pop();
    }
    allocated++;
    return ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
  }

  /**
   * Gives back a buffer from {@link #borrowBytes} for reuse: cleared, and kept if fewer than
   * {@code maxIdlePerSize} byte buffers of its capacity are idle. The caller must not use it afterwards.
   *
   * @param b the buffer
   */
  public synchronized void releaseBytes(ByteBuffer b) {
    b.clear();
    Deque<ByteBuffer> q = idleBytes.computeIfAbsent(b.capacity(), k -> new ArrayDeque<>());
    if (q.size() < maxIdlePerSize) {
      q.push(b);
    }
  }

  /** {@return how many buffers (float and byte) it allocated since creation: a pool that works allocates few} */
  public synchronized long allocated() {
    return allocated;
  }
}
