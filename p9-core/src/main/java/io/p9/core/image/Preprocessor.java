package io.p9.core.image;

/**
 * Resizes, reorders and normalizes a {@link PixelImage} (1, 3 or 4 channels in ImageSchema BGR(A)/gray
 * order; 4-channel input is composited on white) straight into a float array in the model's layout. Resize
 * weights are computed once per source size and reused.
 *
 * <p>Not thread-safe (it caches weight tables and scratch rows): use one per thread or partition.
 */
public final class Preprocessor {
  private final PreprocessSpec spec;

  public Preprocessor(PreprocessSpec spec) {
    this.spec = spec;
  }

  public PreprocessSpec spec() {
    return spec;
  }

  /** Writes {@code spec.floatsPerImage()} floats for {@code image} into {@code dst} from {@code offset}. */
  public void pack(PixelImage image, float[] dst, int offset) {
    throw new UnsupportedOperationException("TODO");
  }
}
