package io.p9.core.model;

import io.p9.core.image.PixelImage;
import io.p9.core.image.PreprocessSpec;
import io.p9.core.image.Preprocessor;
import io.p9.core.tensor.FloatBufferPool;
import java.nio.FloatBuffer;

/**
 * Packs decoded images one by one into a reusable direct float buffer in the model's layout and runs the
 * model on each full batch: decode → resize → normalize → tensor with no per-image allocation beyond the
 * output. One per task (partition) or thread; the {@link FeatureModel} it uses is shared.
 *
 * <pre>{@code
 * try (BatchFeaturizer bf = new BatchFeaturizer(model, spec, 32)) {
 *   for (PixelImage img : images) {
 *     bf.add(img);
 *     if (bf.isFull()) consume(bf.run(), bf.featureDim());
 *   }
 *   if (bf.size() > 0) consume(bf.run(), bf.featureDim());
 * }
 * }</pre>
 */
public final class BatchFeaturizer implements AutoCloseable {
  private final FeatureModel model;
  private final Preprocessor preprocessor;
  private final int batchSize;
  private final int floatsPerImage;
  private final int height;
  private final int width;
  private final int featureDim;
  private final float[] out;
  private FloatBuffer buffer;
  private int size;

  /**
   * @throws IllegalArgumentException if {@code batchSize} is below 1, or {@code spec} does not give the
   *     model's input ({@link ModelInfo#inputMismatch}: layout, channels, fixed size)
   */
  public BatchFeaturizer(FeatureModel model, PreprocessSpec spec, int batchSize) {
    if (batchSize < 1) {
      throw new IllegalArgumentException("batchSize must be >= 1, was " + batchSize);
    }
    String mismatch = model.info().inputMismatch(spec);
    if (mismatch != null) {
      throw new IllegalArgumentException("BatchFeaturizer: " + mismatch);
    }
    this.model = model;
    this.preprocessor = new Preprocessor(spec);
    this.batchSize = batchSize;
    this.floatsPerImage = spec.floatsPerImage();
    this.height = spec.height();
    this.width = spec.width();
    this.featureDim = model.info().featureDim();
    this.out = new float[batchSize * featureDim];
    this.buffer = FloatBufferPool.shared().borrow(batchSize * floatsPerImage);
  }

  public int batchSize() {
    return batchSize;
  }

  public int featureDim() {
    return featureDim;
  }

  /** Images packed and not run yet. */
  public int size() {
    return size;
  }

  public boolean isFull() {
    return size == batchSize;
  }

  /**
   * Preprocesses {@code image} into the next slot and returns the slot index.
   *
   * @throws IllegalStateException if the batch is full
   */
  public int add(PixelImage image) {
    if (buffer == null) {
      throw new IllegalStateException("BatchFeaturizer is closed");
    }
    if (size == batchSize) {
      throw new IllegalStateException("batch is full (" + batchSize + "); call run() first");
    }
    preprocessor.pack(image, buffer, size * floatsPerImage);
    return size++;
  }

  /**
   * Runs the packed images and empties the batch. Returns an array holding {@code size() * featureDim()}
   * features (image i at {@code i * featureDim()}); the array is reused by the next call.
   */
  public float[] run() {
    int n = size;
    size = 0;
    if (n > 0) {
      model.run(buffer, n, height, width, out);
    }
    return out;
  }

  /** Returns the buffer to the pool. Idempotent. */
  @Override
  public void close() {
    FloatBuffer b = buffer;
    buffer = null;
    if (b != null) {
      FloatBufferPool.shared().release(b);
    }
  }
}
