package io.p9.core.image;

/** A file that could not be turned into pixels, with a machine-readable {@link DecodeFailure}. */
public class ImageDecodeException extends Exception {
  private static final long serialVersionUID = 1L;
  private final DecodeFailure reason;

  public ImageDecodeException(DecodeFailure reason, String message) {
    super(message);
    this.reason = reason;
  }

  public ImageDecodeException(DecodeFailure reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  public DecodeFailure reason() {
    return reason;
  }
}
