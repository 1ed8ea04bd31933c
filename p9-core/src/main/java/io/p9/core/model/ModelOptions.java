package io.p9.core.model;

import java.io.Serializable;
import java.util.Objects;

/**
 * How a model is loaded; part of the {@link ModelKey} so that different options give different cached
 * sessions.
 *
 * @param backend {@code auto} (from the file), {@code onnx} or {@code dl4j}
 * @param featureTensor the tensor (ONNX) or layer (DL4J) whose value is the feature vector, or {@code auto}:
 *     the tensor feeding the final classifier (for MobileNetV2, the 1280-d pooled vector)
 * @param intraOpThreads threads one inference call may use (>= 1)
 * @param spinning whether idle intra-op threads spin (lower latency, burns CPU others could use)
 */
public record ModelOptions(String backend, String featureTensor, int intraOpThreads, boolean spinning)
    implements Serializable {

  public static final String AUTO = "auto";

  public ModelOptions {
    Objects.requireNonNull(backend, "backend");
    Objects.requireNonNull(featureTensor, "featureTensor");
    if (featureTensor.isEmpty()) {
      throw new IllegalArgumentException("featureTensor must not be empty (use 'auto')");
    }
    if (intraOpThreads < 1) {
      throw new IllegalArgumentException("intraOpThreads must be >= 1, was " + intraOpThreads);
    }
  }

  public static ModelOptions defaults() {
    return new ModelOptions(AUTO, AUTO, 1, false);
  }

  public ModelOptions withBackend(String b) {
    return new ModelOptions(b, featureTensor, intraOpThreads, spinning);
  }

  public ModelOptions withFeatureTensor(String t) {
    return new ModelOptions(backend, t, intraOpThreads, spinning);
  }

  public ModelOptions withIntraOpThreads(int n) {
    return new ModelOptions(backend, featureTensor, n, spinning);
  }

  public ModelOptions withSpinning(boolean s) {
    return new ModelOptions(backend, featureTensor, intraOpThreads, s);
  }
}
