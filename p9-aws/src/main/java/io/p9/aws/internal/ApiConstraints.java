package io.p9.aws.internal;

import java.util.regex.Pattern;

/**
 * Values checked against the constraints that AWS's API references state for them, so that p9 refuses up front,
 * with a sentence that says what is allowed, a request that AWS would answer with a {@code ValidationException}
 * (after the job jar was uploaded, or a cluster was paid for).
 */
public final class ApiConstraints {
  private ApiConstraints() {}

  /**
   * Checks that {@code value} (called {@code what}) has {@code min} to {@code max} characters, counted as Unicode
   * code points, and matches {@code allowed}, which {@code rule} says in words ("among A-Z a-z").
   */
  public static void check(String what, String value, int min, int max, Pattern allowed, String rule) {
    int n = value.codePointCount(0, value.length());
    if (n < min || n > max || !allowed.matcher(value).matches()) {
      throw new IllegalArgumentException(what + " '" + value + "' (" + n + " characters) is refused by AWS: it takes "
          + min + " to " + max + " characters, " + rule);
    }
  }
}
