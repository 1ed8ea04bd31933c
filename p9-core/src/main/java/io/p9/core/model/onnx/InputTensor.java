package io.p9.core.model.onnx;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.platform.Fp16Conversions;
import io.p9.core.tensor.ElementType;
import io.p9.core.tensor.FloatBufferPool;
import java.nio.ByteBuffer;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;

/**
 * The image input tensor of one run, built from the packed floats in the model's input type. A float32 input
 * wraps the floats as they are (no copy for a direct native-order buffer: the fast path, with no per-value
 * work). Other types are converted value by value into a direct buffer borrowed from
 * {@link FloatBufferPool#shared()} and handed back by {@link #close}:
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
    ByteBuffer view = FloatBufferPool.shared().borrowBytes(Math.multiplyExact(floats.remaining(), type.bytes()));
    try {
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
      return new InputTensor(t, view);
    } catch (OrtException | RuntimeException e) {
      FloatBufferPool.shared().releaseBytes(view);
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
        FloatBufferPool.shared().releaseBytes(borrowed);
      }
    }
  }
}
