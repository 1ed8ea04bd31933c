package io.p9.core.model;

import java.io.Serializable;
import java.util.Objects;

/** Identity of a loaded model in the {@link ModelCache}: content hash plus load options. */
public record ModelKey(String sha256, ModelOptions options) implements Serializable {
  public ModelKey {
    Objects.requireNonNull(sha256, "sha256");
    Objects.requireNonNull(options, "options");
  }
}
