package io.p9.aws.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Removing temporary folders that tests and benchmarks fill. */
public final class Trees {
  private Trees() {}

  /**
   * Removes {@code dir} and everything under it, without following links (a standalone cluster's jars are
   * links to the class path's files). What cannot be removed is reported on stderr, not thrown: a test's or
   * benchmark's result does not depend on it.
   *
   * @param dir the folder to remove; null, or one that does not exist, is nothing to do
   */
  public static void delete(Path dir) {
    if (dir == null || !Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException | UncheckedIOException e) {
      System.err.println("could not remove " + dir + ": " + e);
    }
  }
}
