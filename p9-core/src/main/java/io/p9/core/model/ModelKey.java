package io.p9.core.model;

import java.io.Serializable;
import java.util.Objects;

/**
 * Identity of a loaded model in the {@link ModelCache}: content hash plus load options.
 *
 * @param sha256 the model file's sha256 ({@link ModelBytes#sha256()})
 * @param options how it is loaded
 * @serial exclude
 */
public record ModelKey(String sha256, ModelOptions options) implements Serializable {
  /**
   * Checks that neither part is null.
   *
   * @param sha256 the model file's sha256 ({@link ModelBytes#sha256()})
   * @param options how it is loaded
   */
  public ModelKey {
    Objects.requireNonNull(sha256, "sha256");
    Objects.requireNonNull(options, "options");
  }
}
