package io.p9.core.model;

/** A model that cannot be loaded, validated or run; the message names the model, tensor and shape. */
public class ModelException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ModelException(String message) {
    super(message);
  }

  public ModelException(String message, Throwable cause) {
    super(message, cause);
  }
}
