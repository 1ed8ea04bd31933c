package io.p9.core.image;

/** Why a file produced no image. Stable names: they appear in error columns and counters. */
public enum DecodeFailure {
  /** Zero bytes. */
  EMPTY,
  /** The bytes are not an image in any supported format (no known magic number). */
  NOT_AN_IMAGE,
  /** An image format that is recognised but has no reader here. */
  UNSUPPORTED_FORMAT,
  /** The header announces more pixels (or bytes) than the configured limit (decompression bomb). */
  TOO_LARGE,
  /** The data ends before the image does. */
  TRUNCATED,
  /** The reader failed or warned on corrupt data. */
  CORRUPT
}
