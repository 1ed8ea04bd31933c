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

  public FloatBufferPool(int maxIdlePerSize) {
    this.maxIdlePerSize = maxIdlePerSize;
  }

  public static FloatBufferPool shared() {
    return SHARED;
  }

  /** A direct, native-order buffer of exactly {@code floats} capacity (contents unspecified). */
  public synchronized FloatBuffer borrow(int floats) {
    Deque<FloatBuffer> q = idle.get(floats);
    if (q != null && !q.isEmpty()) {
      return q.pop();
    }
    allocated++;
    return ByteBuffer.allocateDirect(Math.multiplyExact(floats, Float.BYTES)).order(ByteOrder.nativeOrder())
        .asFloatBuffer();
  }

  public synchronized void release(FloatBuffer b) {
    b.clear();
    Deque<FloatBuffer> q = idle.computeIfAbsent(b.capacity(), k -> new ArrayDeque<>());
    if (q.size() < maxIdlePerSize) {
      q.push(b);
    }
  }

  /** A direct, native-order byte buffer of exactly {@code bytes} capacity (contents unspecified). */
  public synchronized ByteBuffer borrowBytes(int bytes) {
    Deque<ByteBuffer> q = idleBytes.get(bytes);
    if (q != null && !q.isEmpty()) {
      return q.pop();
    }
    allocated++;
    return ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
  }

  public synchronized void releaseBytes(ByteBuffer b) {
    b.clear();
    Deque<ByteBuffer> q = idleBytes.computeIfAbsent(b.capacity(), k -> new ArrayDeque<>());
    if (q.size() < maxIdlePerSize) {
      q.push(b);
    }
  }

  /** Buffers allocated since creation (a pool that works allocates few). */
  public synchronized long allocated() {
    return allocated;
  }
}
