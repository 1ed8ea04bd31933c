package io.p9.core.model;

import java.io.Serializable;
import java.util.Objects;

/**
 * How a model is loaded; part of the {@link ModelKey} so that different options give different cached
 * sessions.
 *
 * @param backend {@code auto} (from the file), {@code onnx} or {@code dl4j}
 * @param featureTensor the tensor (ONNX) or layer (DL4J) whose value is the feature vector, or {@code auto}:
 *     the tensor feeding the final classifier (for MobileNetV2, the 1280-d pooled vector). A feature map
 *     (before the pooling) is flattened in the layout of the model's image input: h, w, c for a
 *     channels-last model (Keras, as its {@code Flatten} does, whether run from its {@code .h5} or converted
 *     to ONNX), c, h, w for a channels-first one (PyTorch, a DL4J zip in DL4J's default NCHW)
 * @param intraOpThreads threads one inference call may use (>= 1)
 * @param spinning whether idle intra-op threads spin (lower latency, burns CPU others could use)
 * @param inputHeight the image height to run a model at whose file does not record its input size (a DL4J
 *     zip, an ONNX model whose input height and width are dynamic): the model learns its feature size at this
 *     size (an ONNX model also runs at it only, and reports it in {@link ModelInfo#inputShape()}). 0 (the
 *     default) for the backend's default (224); ignored for a model whose file records its size
 * @param inputWidth the same for the width
 * @serial exclude
 */
public record ModelOptions(String backend, String featureTensor, int intraOpThreads, boolean spinning,
    int inputHeight, int inputWidth) implements Serializable {

  /** The {@code backend} and {@code featureTensor} value that lets p9 choose: from the file, from the graph. */
  public static final String AUTO = "auto";

  /**
   * Checks the options.
   *
   * @param backend {@code auto}, {@code onnx} or {@code dl4j}
   * @param featureTensor the tensor or layer whose value is the feature vector, or {@code auto}; not empty
   * @param intraOpThreads threads one inference call may use (&ge; 1)
   * @param spinning whether idle intra-op threads spin
   * @param inputHeight the image height to run a model at whose file does not record it; 0 for the default
   * @param inputWidth the image width, 0 exactly when {@code inputHeight} is
   * @throws IllegalArgumentException if a value is out of range
   */
  public ModelOptions {
    Objects.requireNonNull(backend, "backend");
    Objects.requireNonNull(featureTensor, "featureTensor");
    if (featureTensor.isEmpty()) {
      throw new IllegalArgumentException("featureTensor must not be empty (use 'auto')");
    }
    if (intraOpThreads < 1) {
      throw new IllegalArgumentException("intraOpThreads must be >= 1, was " + intraOpThreads);
    }
    if (inputHeight < 0 || inputWidth < 0 || (inputHeight == 0) != (inputWidth == 0)) {
      throw new IllegalArgumentException("inputHeight and inputWidth must both be > 0, or both 0 (the backend's"
          + " default), were " + inputHeight + "x" + inputWidth);
    }
  }

  /**
   * Options with no input size (the backend's default for a model that does not record its own).
   *
   * @param backend {@code auto}, {@code onnx} or {@code dl4j}
   * @param featureTensor the tensor or layer whose value is the feature vector, or {@code auto}
   * @param intraOpThreads threads one inference call may use (&ge; 1)
   * @param spinning whether idle intra-op threads spin
   */
  public ModelOptions(String backend, String featureTensor, int intraOpThreads, boolean spinning) {
    this(backend, featureTensor, intraOpThreads, spinning, 0, 0);
  }

  /** {@return the backend and feature tensor chosen from the model, one thread, no spinning, no input size} */
  public static ModelOptions defaults() {
    return new ModelOptions(AUTO, AUTO, 1, false);
  }

  /**
   * {@return these options with another backend}
   *
   * @param b {@code auto}, {@code onnx} or {@code dl4j}
   */
  public ModelOptions withBackend(String b) {
    return new ModelOptions(b, featureTensor, intraOpThreads, spinning, inputHeight, inputWidth);
  }

  /**
   * {@return these options with another feature tensor}
   *
   * @param t the tensor or layer name, or {@code auto}
   */
  public ModelOptions withFeatureTensor(String t) {
    return new ModelOptions(backend, t, intraOpThreads, spinning, inputHeight, inputWidth);
  }

  /**
   * {@return these options with another number of threads per inference call}
   *
   * @param n the threads (&ge; 1)
   */
  public ModelOptions withIntraOpThreads(int n) {
    return new ModelOptions(backend, featureTensor, n, spinning, inputHeight, inputWidth);
  }

  /**
   * {@return these options with idle intra-op threads spinning or not}
   *
   * @param s whether they spin
   */
  public ModelOptions withSpinning(boolean s) {
    return new ModelOptions(backend, featureTensor, intraOpThreads, s, inputHeight, inputWidth);
  }

  /**
   * {@return these options with the size to run a model at whose file does not record it} See
   * {@link #inputHeight()}.
   *
   * @param height the height in pixels, 0 to unset
   * @param width the width in pixels, 0 to unset
   */
  public ModelOptions withInputSize(int height, int width) {
    return new ModelOptions(backend, featureTensor, intraOpThreads, spinning, height, width);
  }
}
