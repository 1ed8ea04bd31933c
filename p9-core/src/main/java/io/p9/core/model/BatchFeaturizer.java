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
 *
 * <p><b>When the model fails.</b> {@link #run()} throws what the model throws, and the images are then still
 * packed: {@link #runEach} runs them again one per call, to tell the images the model cannot take from the
 * others, and {@link #blankImageFailure()} tells a model that fails on such an image alone from one that
 * fails on anything (a blank image too), which is broken. The normal path does none of this work.
 *
 * <pre>{@code
 * float[] f;
 * try {
 *   f = bf.run();
 * } catch (RuntimeException e) {
 *   RuntimeException[] alone = new RuntimeException[bf.batchSize()];
 *   f = bf.runEach(alone);                       // alone[i] != null: image i fails by itself
 *   if (Arrays.stream(alone).anyMatch(Objects::nonNull) && bf.blankImageFailure() != null) {
 *     throw e;                                   // and so does a blank image: the model is broken
 *   }
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
  /** Images in the last {@link #run()}, packed in slots 0.. of {@link #buffer} until the next {@link #add}. */
  private int ran;
  /** Whether the blank image ran ({@link #blankImageFailure()}). */
  private boolean blankRan;
  /** One image's features in {@link #runEach}; allocated by its first call. */
  private float[] single;

  /**
   * A featurizer with an empty batch, its buffer borrowed from the shared {@link FloatBufferPool}.
   *
   * @param model the model to run, shared with other featurizers
   * @param spec the preprocessing, which must give the model's input
   * @param batchSize the images per model call (&ge; 1)
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

  /** {@return the images per model call} */
  public int batchSize() {
    return batchSize;
  }

  /** {@return the length of one image's feature vector} */
  public int featureDim() {
    return featureDim;
  }

  /** {@return the images packed and not run yet} */
  public int size() {
    return size;
  }

  /** {@return whether the batch holds {@link #batchSize()} images, so that {@link #add} refuses another} */
  public boolean isFull() {
    return size == batchSize;
  }

  /**
   * Preprocesses {@code image} into the next slot and returns the slot index.
   *
   * @param image the decoded image
   * @return its slot, from 0
   * @throws IllegalStateException if the batch is full, or it is closed
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
   * features (image i at {@code i * featureDim()}); the array is reused by the next call. If the model
   * throws, the batch is emptied too and its images stay packed for {@link #runEach}.
   *
   * @return the features of the batch's images
   */
  public float[] run() {
    int n = size;
    size = 0;
    ran = n;
    if (n > 0) {
      model.run(buffer, n, height, width, out);
    }
    return out;
  }

  /**
   * Runs the images of the last {@link #run()} again, one model call each: after that batch failed, this
   * tells the images the model fails on from those it takes. The images are still packed (a model does not
   * write its input), so each runs from its own slot without being preprocessed again; call it before the
   * next {@link #add}. Image {@code i}'s features go to {@code i * featureDim()} of the returned array, the
   * one {@link #run()} returns, as if the batch had run. An image that fails alone gets zeros there and what
   * it threw in {@code failures[i]}; the others get null. Only {@link RuntimeException}s are caught.
   *
   * @param failures receives, at each image's slot, what the model threw for it alone, or null
   * @return the features of the last batch's images, zeros for those that failed
   * @throws IllegalArgumentException if {@code failures} is shorter than the last batch
   * @throws IllegalStateException if images were added since the last {@link #run()}, or it is closed
   */
  public float[] runEach(RuntimeException[] failures) {
    if (buffer == null) {
      throw new IllegalStateException("BatchFeaturizer is closed");
    }
    if (size != 0) {
      throw new IllegalStateException(size + " images were added since the last run(); they overwrote its"
          + " images");
    }
    if (failures.length < ran) {
      throw new IllegalArgumentException("failures holds " + failures.length + " slots, the last batch had "
          + ran + " images");
    }
    if (single == null) {
      single = new float[featureDim];
    }
    for (int i = 0; i < ran; i++) {
      failures[i] = null;
      try {
        model.run(buffer.slice(i * floatsPerImage, floatsPerImage), 1, height, width, single);
        System.arraycopy(single, 0, out, i * featureDim, featureDim);
      } catch (RuntimeException e) {
        failures[i] = e;
        java.util.Arrays.fill(out, i * featureDim, (i + 1) * featureDim, 0f);
      }
    }
    return out;
  }

  /**
   * Runs one blank image, black pixels preprocessed like the images: null if the model takes it, else what
   * it threw. A model that fails on an image alone and on this too is broken, not the image. The answer
   * "runs" is kept (the model is shared and does not change), so a featurizer runs the blank image at most
   * once while the model takes it; a failure is not kept, and the next call tries again. Only
   * {@link RuntimeException}s are caught.
   *
   * @return what the model threw for the blank image, or null if it runs it
   * @throws IllegalStateException if it is closed
   */
  public RuntimeException blankImageFailure() {
    if (buffer == null) {
      throw new IllegalStateException("BatchFeaturizer is closed");
    }
    if (blankRan) {
      return null;
    }
    FloatBuffer blank = FloatBufferPool.shared().borrow(floatsPerImage);
    try {
      preprocessor.pack(new PixelImage(width, height, 3, new byte[width * height * 3]), blank, 0);
      model.run(blank, 1, height, width, new float[featureDim]);
      blankRan = true;
      return null;
    } catch (RuntimeException e) {
      return e;
    } finally {
      FloatBufferPool.shared().release(blank);
    }
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
