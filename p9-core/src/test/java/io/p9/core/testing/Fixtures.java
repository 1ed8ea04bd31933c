package io.p9.core.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * The committed model fixtures in {@code p9-core/src/test/resources/fixtures/} (class path
 * {@code fixtures/}), made by {@code p9-core/src/test/fixtures/gen_keras_onnx.py}: {@code tiny_mnv2} (Keras
 * Functional, MobileNetV2 blocks) and {@code tiny_seq} (Keras Sequential), each as {@code .h5} and
 * {@code .onnx} with the same weights, plus {@code keras_reference.json} (their features computed by numpy
 * for {@link #referenceInput}).
 */
public final class Fixtures {
  /** Input height and width of the tiny fixtures. */
  public static final int SIZE = 32;

  private Fixtures() {}

  public static byte[] bytes(String name) {
    try (InputStream in = Fixtures.class.getResourceAsStream("/fixtures/" + name)) {
      if (in == null) {
        throw new IllegalStateException("no fixture " + name + " on the test class path; regenerate with "
            + "/usr/bin/python3 p9-core/src/test/fixtures/gen_keras_onnx.py");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The parsed {@code keras_reference.json}. */
  public static JsonNode reference() {
    try {
      return new ObjectMapper().readTree(bytes("keras_reference.json"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The generator's inputs: {@code x[b,h,w,c] = (float) sin(0.37 h + 0.11 w (c+1) + 0.5 b)}, NHWC, direct. */
  public static FloatBuffer referenceInput(int n) {
    FloatBuffer b = ByteBuffer.allocateDirect(n * SIZE * SIZE * 3 * Float.BYTES).order(ByteOrder.nativeOrder())
        .asFloatBuffer();
    int i = 0;
    for (int img = 0; img < n; img++) {
      for (int h = 0; h < SIZE; h++) {
        for (int w = 0; w < SIZE; w++) {
          for (int c = 0; c < 3; c++) {
            b.put(i++, (float) Math.sin(0.37 * h + 0.11 * w * (c + 1) + 0.5 * img));
          }
        }
      }
    }
    return b;
  }

  /** A direct buffer of {@code floats} values drawn from N(0, 1) with {@code rnd}. */
  public static FloatBuffer gaussian(java.util.Random rnd, int floats) {
    FloatBuffer b = ByteBuffer.allocateDirect(floats * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
    for (int i = 0; i < floats; i++) {
      b.put(i, (float) rnd.nextGaussian());
    }
    return b;
  }
}
