package io.p9.spark.ml.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** Small file helpers for tests: copy a few sample images, write bad files. */
public final class Files2 {
  private Files2() {}

  /** Copies the first {@code perClass} JPEGs of each variety folder under {@code training} into {@code dst}. */
  public static Path copySample(Path training, Path dst, int perClass, int classes) {
    try (Stream<Path> dirs = Files.list(training)) {
      List<Path> varieties = dirs.filter(Files::isDirectory).sorted().limit(classes).toList();
      for (Path v : varieties) {
        Path out = Files.createDirectories(dst.resolve(v.getFileName().toString()));
        try (Stream<Path> imgs = Files.list(v)) {
          for (Path img : imgs.sorted().limit(perClass).toList()) {
            Files.copy(img, out.resolve(img.getFileName().toString()));
          }
        }
      }
      return dst;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Makes, in {@code parent}, an empty file, or with {@code folder} a folder holding an empty {@code x.jpg}, whose
   * name is the bytes printf's {@code format} gives ({@code "bad\\377.jpg"}: a byte no UTF-8 name holds;
   * {@code "caf\\303\\251.jpg"}: a UTF-8 name outside ASCII). Java's file API, which takes names as strings in
   * the JVM's file-name encoding, cannot make those it cannot encode, so a shell makes it.
   */
  public static void createRawName(Path parent, String format, boolean folder) {
    String make = folder ? "n=$(printf \"$1\") && mkdir -- \"$n\" && : > \"$n/x.jpg\"" : ": > \"$(printf \"$1\")\"";
    try {
      Files.createDirectories(parent);
      Process p = new ProcessBuilder("sh", "-c", make, "sh", format).directory(parent.toFile()).inheritIO().start();
      if (p.waitFor() != 0) {
        throw new IllegalStateException("sh could not make " + format + " in " + parent + ": exit " + p.exitValue());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  public static Path write(Path file, byte[] content) {
    try {
      Files.createDirectories(file.getParent());
      return Files.write(file, content);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static byte[] read(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
