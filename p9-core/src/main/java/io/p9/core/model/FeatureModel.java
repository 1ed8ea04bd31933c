package io.p9.core.model;

import java.nio.FloatBuffer;

/**
 * A loaded model that maps a batch of preprocessed images to feature vectors. Instances live in the
 * {@link ModelCache}, one per JVM and {@link ModelKey}, and are shared by all task threads: {@link #run}
 * must be safe to call concurrently (a backend whose native model is not thread-safe keeps one copy per
 * thread internally).
 */
public interface FeatureModel extends AutoCloseable {

  /** {@return what the model takes and gives} */
  ModelInfo info();

  /**
   * Runs {@code n} images. {@code input} holds {@code n * floatsPerImage} floats from index 0 in the
   * model's layout (a direct buffer in the platform's byte order avoids a copy), and is only read;
   * {@code out} receives {@code n * info().featureDim()} floats.
   *
   * @param input the preprocessed images
   * @param n the number of images
   * @param out where the features go, from index 0
   *
   * @throws ModelException with the model's sha, input name and shape when the backend fails
   */
  void run(FloatBuffer input, int n, float[] out);

  /**
   * Runs {@code n} images of {@code height} x {@code width} pixels. A model whose input size is dynamic
   * ({@code -1} in {@link ModelInfo#inputShape()}, e.g. a DL4J zip, which does not record it) takes the size
   * of the preprocessed images; the default accepts only the model's own size and calls
   * {@link #run(FloatBuffer, int, float[])}.
   *
   * @param input the preprocessed images
   * @param n the number of images
   * @param height their height in pixels
   * @param width their width in pixels
   * @param out where the features go, from index 0
   *
   * @throws IllegalArgumentException if the size differs from a fixed input size of the model
   */
  default void run(FloatBuffer input, int n, int height, int width, float[] out) {
    ModelInfo i = info();
    if (i.inputHeight() != height || i.inputWidth() != width) {
      throw new IllegalArgumentException("images are " + height + "x" + width + " but the model input is "
          + java.util.Arrays.toString(i.inputShape()));
    }
    run(input, n, out);
  }

  /** Releases native resources. Called by the cache, not by users of a cached model. */
  @Override
  void close();
}
