package io.p9.core.model;

/**
 * A way to run a kind of model file (SPI, found with {@link java.util.ServiceLoader}; register in
 * {@code META-INF/services/io.p9.core.model.ModelBackend}). p9-core ships {@code onnx} (ONNX Runtime).
 */
public interface ModelBackend {

  /** Short name used by the {@code backend} option: {@code onnx}, {@code dl4j}. */
  String name();

  /** Whether this backend recognises the file from its name and first bytes. */
  boolean recognizes(String fileName, byte[] head);

  /**
   * Whether {@code model}'s file fixes its image input's height and width, so that
   * {@link ModelOptions#inputHeight()} and {@link ModelOptions#inputWidth()} do not change what {@link #load}
   * gives. Callers then leave the size out of the {@link ModelKey}, so that one file is one cached model
   * whatever size they ask for. The default, false, is always safe: the size stays in the key.
   */
  default boolean recordsInputSize(ModelBytes model) {
    return false;
  }

  /** Loads and validates the model; the result is owned by the caller (normally the cache). */
  FeatureModel load(ModelBytes model, ModelOptions options);
}
