package io.p9.aws.internal;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Values checked against the constraints that AWS's API references state for them, so that p9 refuses up front,
 * with a sentence that says what is allowed, a request that AWS would answer with a {@code ValidationException}
 * (after the job jar was uploaded, or a cluster was paid for).
 */
public final class ApiConstraints {
  /** The characters XML 1.0 allows, EMR's {@code XmlString}: no control characters but tab and line breaks. */
  public static final String XML_CHARS = "\\x{20}-\\x{D7FF}\\x{E000}-\\x{FFFD}\\x{10000}-\\x{10FFFF}\\t\\r\\n";
  /** What {@link #XML_CHARS} allows, in words. */
  public static final String XML_RULE = "with no control characters but tabs and line breaks";

  /** The most tags EMR and EMR Serverless keep on a resource. */
  static final int MAX_TAGS = 50;

  private ApiConstraints() {}

  /**
   * Checks that {@code value} (called {@code what}) has {@code min} to {@code max} characters, counted as Unicode
   * code points, and matches {@code allowed}, which {@code rule} says in words ("among A-Z a-z").
   *
   * @param what the value's name in the message, e.g. {@code EMR cluster name}
   * @param value the value
   * @param min the fewest characters
   * @param max the most characters
   * @param allowed what the whole value must match
   * @param rule {@code allowed} in words
   * @throws IllegalArgumentException naming the value, its length and what AWS takes
   */
  public static void check(String what, String value, int min, int max, Pattern allowed, String rule) {
    int n = value.codePointCount(0, value.length());
    if (n < min || n > max || !allowed.matcher(value).matches()) {
      throw new IllegalArgumentException(what + " '" + value + "' (" + n + " characters) is refused by AWS: it takes "
          + min + " to " + max + " characters, " + rule);
    }
  }

  /**
   * Checks the tags of a resource that {@code service} creates against the restrictions it states for them: at
   * most 50; keys of 1 to 128 and values of 0 to 256 characters, each matching {@code chars} ({@code rule} in
   * words); neither starting with {@code aws:} in any case, which AWS reserves for its own.
   *
   * @param service the service's name in the message, e.g. {@code EMR}
   * @param tags the tags
   * @param chars what each key and value must match
   * @param rule {@code chars} in words
   * @throws IllegalArgumentException naming the first tag AWS would refuse
   */
  public static void tags(String service, Map<String, String> tags, Pattern chars, String rule) {
    if (tags.size() > MAX_TAGS) {
      throw new IllegalArgumentException(service + " takes at most " + MAX_TAGS + " tags on a resource, got "
          + tags.size());
    }
    tags.forEach((k, v) -> {
      check(service + " tag key", k, 1, 128, chars, rule);
      check(service + " tag value", v, 0, 256, chars, rule);
      for (String s : List.of(k, v)) {
        if (s.regionMatches(true, 0, "aws:", 0, "aws:".length())) {
          throw new IllegalArgumentException("tag '" + k + "=" + v + "' is refused by AWS: the prefix aws: is"
              + " reserved for AWS's own tags");
        }
      }
    });
  }
}
