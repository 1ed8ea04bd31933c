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
