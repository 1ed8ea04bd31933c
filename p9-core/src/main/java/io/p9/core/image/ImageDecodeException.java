package io.p9.core.image;

/** A file that could not be turned into pixels, with a machine-readable {@link DecodeFailure}. */
public class ImageDecodeException extends Exception {
  private static final long serialVersionUID = 1L;
  /** Why the file produced no image. */
  private final DecodeFailure reason;

  /**
   * A failure found by the decoder itself (a check of the bytes or the header).
   *
   * @param reason why the file produced no image
   * @param message what is wrong with the file
   */
  public ImageDecodeException(DecodeFailure reason, String message) {
    super(message);
    this.reason = reason;
  }

  /**
   * A failure caused by a reader's exception.
   *
   * @param reason why the file produced no image
   * @param message what is wrong with the file
   * @param cause the reader's exception
   */
  public ImageDecodeException(DecodeFailure reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  /** {@return why the file produced no image} */
  public DecodeFailure reason() {
    return reason;
  }
}
