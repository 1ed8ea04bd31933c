package io.p9.core.tensor;

import java.util.Locale;

/**
 * The element type of a model's image input. p9 always preprocesses into floats; a backend whose model takes
 * another type converts the packed floats when it builds the input tensor (the ONNX backend: to float16
 * rounding to nearest, ties to even; to uint8 rounding to the nearest integer, refusing values outside
 * 0..255; to float64 exactly).
 */
public enum ElementType {
  /** 32-bit float: the packed buffer is the tensor, with no conversion. */
  FLOAT32(4),
  /** IEEE 754 half precision, as models converted with onnxconverter-common's float16 tool take. */
  FLOAT16(2),
  /** 64-bit float. */
  FLOAT64(8),
  /** Unsigned 8-bit integers: the pixels themselves, 0..255 (only raw preprocessing gives them). */
  UINT8(1);

  private final int bytes;

  ElementType(int bytes) {
    this.bytes = bytes;
  }

  /** {@return the bytes one element takes: 4, 2, 8 or 1} */
  public int bytes() {
    return bytes;
  }

  /** The ONNX name: {@code float32}, {@code float16}, {@code float64}, {@code uint8}. */
  @Override
  public String toString() {
    return name().toLowerCase(Locale.ROOT);
  }
}
