package io.p9.core.model;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;

/**
 * The bytes of a model file with their sha256, the identity under which the model is cached and saved.
 *
 * @param name a file name, for messages and backend detection (e.g. {@code mobilenetv2-12-int8.onnx})
 * @param bytes the file content (not copied)
 * @param sha256 lower-case hex sha256 of {@code bytes}
 * @serial exclude
 */
public record ModelBytes(String name, byte[] bytes, String sha256) implements Serializable {

  /**
   * Checks that no part is null; the caller vouches that {@code sha256} is that of {@code bytes} (see
   * {@link #of}).
   *
   * @param name a file name, for messages and backend detection
   * @param bytes the file content (not copied)
   * @param sha256 lower-case hex sha256 of {@code bytes}
   */
  public ModelBytes {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(bytes, "bytes");
    Objects.requireNonNull(sha256, "sha256");
  }

  /**
   * Wraps {@code bytes} and computes their sha256.
   *
   * @param name a file name, for messages and backend detection
   * @param bytes the file content (not copied)
   * @return the model bytes
   */
  public static ModelBytes of(String name, byte[] bytes) {
    return new ModelBytes(name, bytes, sha256(bytes));
  }

  /**
   * {@return the lower-case hex SHA-256 of {@code bytes}}
   *
   * @param bytes any bytes
   */
  public static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 missing from this JVM", e);
    }
  }

  /**
   * {@return the lower-case hex SHA-256 of {@code s} in UTF-8}
   *
   * @param s any text
   */
  public static String sha256(String s) {
    return sha256(s.getBytes(StandardCharsets.UTF_8));
  }

  /** {@return the first 12 hex digits of the sha256, for messages} */
  public String shortSha() {
    return sha256.substring(0, Math.min(12, sha256.length()));
  }

  @Override
  public String toString() {
    return "ModelBytes[" + name + ", " + bytes.length + " bytes, sha256=" + shortSha() + "]";
  }
}
