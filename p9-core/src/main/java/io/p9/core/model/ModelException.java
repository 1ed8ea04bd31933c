package io.p9.core.model;

/** A model that cannot be loaded, validated or run; the message names the model, tensor and shape. */
public class ModelException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /**
   * A failure with no underlying exception.
   *
   * @param message what failed, naming the model
   */
  public ModelException(String message) {
    super(message);
  }

  /**
   * A failure caused by a backend's or a parser's exception.
   *
   * @param message what failed, naming the model
   * @param cause the underlying exception
   */
  public ModelException(String message, Throwable cause) {
    super(message, cause);
  }
}
