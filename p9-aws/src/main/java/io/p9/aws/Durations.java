package io.p9.aws;

import java.time.Duration;
import java.util.Locale;

/**
 * Durations for people: {@code 1h02m}, {@code 3m05s}, {@code 42s}; and parsing of
 * {@code 90s}/{@code 15m}/{@code 2h}.
 */
public final class Durations {
  private Durations() {}

  /**
   * {@return {@code d} for people, in whole seconds: {@code 1h02m}, {@code 3m05s}, {@code 42s} (0s if negative)}
   *
   * @param d the duration
   */
  public static String human(Duration d) {
    long s = Math.max(0, d.getSeconds());
    if (s >= 3600) {
      return String.format(Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60);
    }
    if (s >= 60) {
      return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    }
    return s + "s";
  }

  /**
   * Parses a duration as people write it.
   *
   * @param text {@code 500ms}, {@code 90s}, {@code 15m}, {@code 2h}, {@code 1d} or an ISO-8601 duration
   *     ({@code PT15M}), in any case
   * @return the duration
   * @throws IllegalArgumentException if it is none of these
   */
  public static Duration parse(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    try {
      if (t.startsWith("p")) {
        return Duration.parse(t.toUpperCase(Locale.ROOT));
      }
      if (t.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
      }
      long n = Long.parseLong(t.substring(0, t.length() - 1));
      switch (t.charAt(t.length() - 1)) {
        case 's':
          return Duration.ofSeconds(n);
        case 'm':
          return Duration.ofMinutes(n);
        case 'h':
          return Duration.ofHours(n);
        case 'd':
          return Duration.ofDays(n);
        default:
          break;
      }
    } catch (RuntimeException e) {
      // fall through to the message below
    }
    throw new IllegalArgumentException("'" + text + "' is not a duration (e.g. 90s, 15m, 2h)");
  }
}
