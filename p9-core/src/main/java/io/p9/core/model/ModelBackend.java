package io.p9.core.model;

/**
 * A way to run a kind of model file (SPI, found with {@link java.util.ServiceLoader}; register in
 * {@code META-INF/services/io.p9.core.model.ModelBackend}). p9-core ships {@code onnx} (ONNX Runtime).
 */
public interface ModelBackend {

  /** {@return the short name used by the {@code backend} option: {@code onnx}, {@code dl4j}} */
  String name();

  /**
   * {@return whether this backend recognises the file from its name and first bytes}
   *
   * @param fileName the model file's name
   * @param head its first bytes (up to 64; fewer for a shorter file)
   */
  boolean recognizes(String fileName, byte[] head);

  /**
   * Whether {@code model}'s file fixes its image input's height and width, so that
   * {@link ModelOptions#inputHeight()} and {@link ModelOptions#inputWidth()} do not change what {@link #load}
   * gives. Callers then leave the size out of the {@link ModelKey}, so that one file is one cached model
   * whatever size they ask for. The default, false, is always safe: the size stays in the key.
   *
   * @param model the model file
   * @return whether the file fixes the input size
   */
  default boolean recordsInputSize(ModelBytes model) {
    return false;
  }

  /**
   * Loads and validates the model; the result is owned by the caller (normally the cache).
   *
   * @param model the model file
   * @param options how to load it
   * @return the loaded model
   * @throws ModelException if the model cannot be loaded or does not give what the options ask
   */
  FeatureModel load(ModelBytes model, ModelOptions options);
}
