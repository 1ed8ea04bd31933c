package io.p9.core.model.onnx;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.platform.Fp16Conversions;
import io.p9.core.tensor.ElementType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The image input tensor of one run, built from the packed floats in the model's input type. A float32 input
 * wraps the floats as they are (no copy for a direct native-order buffer: the fast path, with no per-value
 * work). Other types are converted value by value into a direct buffer borrowed from a small per-JVM pool
 * and handed back by {@link #close}:
 *
 * <ul>
 *   <li>float16: rounded to the nearest half-precision value, ties to even (ONNX Runtime's
 *       {@link Fp16Conversions#floatToFp16}, which is the JDK's {@code Float.floatToFloat16} from Java 20 and
 *       MLAS's conversion before); beyond ±65504 gives ±infinity, as any float → half conversion does;
 *   <li>uint8: rounded to the nearest integer, ties to even ({@link Math#rint}, as OpenCV's
 *       {@code saturate_cast} does), so a resized image's fractional samples become the pixels a uint8 resize
 *       gives; a value that rounds outside 0..255 (or NaN) is refused, not clamped: the preprocessing did not
 *       give pixels ({@link io.p9.core.image.Normalization#uint8Mismatch} refuses such a preprocessing
 *       before any image runs);
 *   <li>float64: exact.
 * </ul>
 */
final class InputTensor implements AutoCloseable {
  /** Idle conversion buffers kept at most; a larger one replaces the smallest. */
  private static final int MAX_IDLE = 8;
  private static final List<ByteBuffer> IDLE = new ArrayList<>();

  private final OnnxTensor tensor;
  private final ByteBuffer borrowed;

  private InputTensor(OnnxTensor tensor, ByteBuffer borrowed) {
    this.tensor = tensor;
    this.borrowed = borrowed;
  }

  OnnxTensor tensor() {
    return tensor;
  }

  /**
   * The tensor of {@code shape} holding the {@code floats.remaining()} values of {@code floats} (read from
   * its position, not changed) as {@code type}.
   *
   * @throws IllegalArgumentException for a uint8 input, on a value that is not a pixel value 0..255 after
   *     rounding, naming {@code inputName}, the value and its index
   */
  static InputTensor of(OrtEnvironment env, ElementType type, FloatBuffer floats, long[] shape,
      String inputName) throws OrtException {
    if (type == ElementType.FLOAT32) {
      return new InputTensor(OnnxTensor.createTensor(env, floats, shape), null);
    }
    int n = floats.remaining();
    int bytes = Math.multiplyExact(n, switch (type) {
      case FLOAT16 -> 2;
      case UINT8 -> 1;
      case FLOAT64 -> 8;
      case FLOAT32 -> 4;
    });
    ByteBuffer buffer = borrow(bytes);
    try {
      ByteBuffer view = buffer.slice(0, bytes).order(ByteOrder.nativeOrder());
      OnnxTensor t = switch (type) {
        case FLOAT16 -> {
          ShortBuffer half = view.asShortBuffer();
          toFloat16(floats, half);
          yield OnnxTensor.createTensor(env, half, shape, OnnxJavaType.FLOAT16);
        }
        case UINT8 -> {
          toUint8(floats, view, inputName);
          yield OnnxTensor.createTensor(env, view, shape, OnnxJavaType.UINT8);
        }
        case FLOAT64 -> {
          DoubleBuffer doubles = view.asDoubleBuffer();
          toFloat64(floats, doubles);
          yield OnnxTensor.createTensor(env, doubles, shape);
        }
        case FLOAT32 -> throw new AssertionError("float32 is not converted");
      };
      return new InputTensor(t, buffer);
    } catch (OrtException | RuntimeException e) {
      release(buffer);
      throw e;
    }
  }

  /** {@code src}'s remaining values into {@code dst} from index 0, as float16 bits (nearest, ties to even). */
  static void toFloat16(FloatBuffer src, ShortBuffer dst) {
    int p = src.position();
    int n = src.remaining();
    for (int i = 0; i < n; i++) {
      dst.put(i, Fp16Conversions.floatToFp16(src.get(p + i)));
    }
  }

  /** {@code src}'s remaining values into {@code dst} from index 0, rounded to integers 0..255. */
  static void toUint8(FloatBuffer src, ByteBuffer dst, String inputName) {
    int p = src.position();
    int n = src.remaining();
    for (int i = 0; i < n; i++) {
      float v = src.get(p + i);
      double r = Math.rint(v);
      if (!(r >= 0 && r <= 255)) {
        throw new IllegalArgumentException("input '" + inputName + "' is uint8 and takes pixels 0..255, but value "
            + i + " of the batch is " + v + " (the preprocessing must be raw)");
      }
      dst.put(i, (byte) (int) r);
    }
  }

  /** {@code src}'s remaining values into {@code dst} from index 0. */
  static void toFloat64(FloatBuffer src, DoubleBuffer dst) {
    int p = src.position();
    int n = src.remaining();
    for (int i = 0; i < n; i++) {
      dst.put(i, src.get(p + i));
    }
  }

  /** Closes the tensor, then returns the conversion buffer to the pool. */
  @Override
  public void close() {
    try {
      tensor.close();
    } finally {
      if (borrowed != null) {
        release(borrowed);
      }
    }
  }

  /** A direct buffer of at least {@code bytes} (contents unspecified): the smallest idle one that fits. */
  private static synchronized ByteBuffer borrow(int bytes) {
    int best = -1;
    for (int i = 0; i < IDLE.size(); i++) {
      int cap = IDLE.get(i).capacity();
      if (cap >= bytes && (best < 0 || cap < IDLE.get(best).capacity())) {
        best = i;
      }
    }
    return best >= 0 ? IDLE.remove(best) : ByteBuffer.allocateDirect(Math.max(bytes, 1));
  }

  private static synchronized void release(ByteBuffer b) {
    b.clear();
    if (IDLE.size() < MAX_IDLE) {
      IDLE.add(b);
      return;
    }
    int smallest = 0;
    for (int i = 1; i < IDLE.size(); i++) {
      if (IDLE.get(i).capacity() < IDLE.get(smallest).capacity()) {
        smallest = i;
      }
    }
    if (IDLE.get(smallest).capacity() < b.capacity()) {
      IDLE.set(smallest, b);
    }
  }
}
