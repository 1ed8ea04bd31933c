package io.p9.bench;

import io.p9.core.model.ModelBytes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Where benchmark inputs live: the repository's data/. */
final class BenchData {
  private BenchData() {}

  static Path root() {
    String prop = System.getProperty("p9.repo.root");
    if (prop != null) {
      return Paths.get(prop);
    }
    Path p = Paths.get("").toAbsolutePath();
    while (p != null) {
      if (Files.isDirectory(p.resolve("data/models")) && Files.exists(p.resolve("pom.xml"))) {
        return p;
      }
      p = p.getParent();
    }
    throw new IllegalStateException("run from inside the p9 repository (no data/models found upwards)");
  }

  /** The int8 MobileNetV2 from the ONNX model zoo, or a generated fp32 MobileNetV2 with random weights. */
  static ModelBytes model(String kind) {
    if ("fp32".equals(kind)) {
      return ModelBytes.of("mobilenetv2-fp32-random.onnx", MobileNetV2Onnx.generate(7));
    }
    try {
      Path p = root().resolve("data/models/mobilenetv2-12-int8.onnx");
      return ModelBytes.of(p.getFileName().toString(), Files.readAllBytes(p));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The first {@code n} of the 2,940 Fruits-360 JPEGs in data/fruits360-49x60 (the same files as
   * ../shared/data's sample); more than there are is refused, not quietly cut, as benchmarks count
   * images by {@code n} (use SparkPipelineBenchmark's {@code replicate} for more).
   */
  static List<Path> fruitJpegs(int n) {
    Path dir = root().resolve("data/fruits360-49x60/Training");
    List<Path> all;
    try (Stream<Path> s = Files.walk(dir)) {
      all = s.filter(p -> p.toString().endsWith(".jpg")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (n > all.size()) {
      throw new IllegalArgumentException(n + " images asked for, but " + dir + " holds " + all.size()
          + " JPEGs; replicate them for more");
    }
    return all.subList(0, n);
  }

  static List<byte[]> read(List<Path> files) {
    List<byte[]> out = new ArrayList<>();
    for (Path f : files) {
      try {
        out.add(Files.readAllBytes(f));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return out;
  }

  /** Copies {@code images} {@code times} times into {@code dir}/<variety>/ (distinct names). */
  static Path replicate(List<Path> images, int times, Path dir) {
    try {
      for (int t = 0; t < times; t++) {
        for (Path img : images) {
          Path out = dir.resolve(img.getParent().getFileName().toString())
              .resolve("x" + t + "_" + img.getFileName());
          Files.createDirectories(out.getParent());
          Files.copy(img, out);
        }
      }
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Peak resident set size of this JVM (VmHWM), in MiB, or -1 where /proc is unavailable. */
  static long peakRssMiB() {
    try {
      for (String line : Files.readAllLines(Paths.get("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("\\D+", "")) / 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return -1;
  }
}
