package io.p9.core.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Locates the data tests use: the repository's {@code data/} (model and 240-image sample, always there)
 * and {@code ../shared/data} (the 2,940-image Fruits-360 sample, beside the checkout).
 */
public final class RepoData {
  private RepoData() {}

  /** The repository root: system property {@code p9.repo.root} (set by surefire) or found upwards. */
  public static Path root() {
    String prop = System.getProperty("p9.repo.root");
    if (prop != null && Files.isDirectory(Paths.get(prop, "data"))) {
      return Paths.get(prop).toAbsolutePath().normalize();
    }
    Path p = Paths.get("").toAbsolutePath();
    while (p != null) {
      if (Files.isDirectory(p.resolve("data/models")) && Files.exists(p.resolve("pom.xml"))) {
        return p;
      }
      p = p.getParent();
    }
    throw new IllegalStateException("cannot find the p9 repository root from " + Paths.get("").toAbsolutePath());
  }

  /** The int8 MobileNetV2 shipped in the repository. */
  public static Path mobilenet() {
    return root().resolve("data/models/mobilenetv2-12-int8.onnx");
  }

  /** The 1,000 ImageNet class names, line i = class i. */
  public static Path imagenetSynset() {
    return root().resolve("data/models/imagenet-synset.txt");
  }

  /** The 240-image quickstart sample: {@code <root>/Training/<variety>/*.jpg}. */
  public static Path quickSample() {
    return root().resolve("data/fruits360-sample");
  }

  /** {@code n} JPEGs of the quickstart sample, spread evenly over its sorted paths (so over the varieties). */
  public static List<Path> quickSampleSpread(int n) throws IOException {
    List<Path> all;
    try (Stream<Path> s = Files.walk(quickSample().resolve("Training"))) {
      all = s.filter(p -> p.toString().endsWith(".jpg")).sorted().toList();
    }
    List<Path> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(all.get(i * all.size() / n));
    }
    return out;
  }

  /**
   * The 2,940-image Fruits-360 sample (49 varieties x 60) in {@code ../shared/data/fruits360-sample}, or in
   * {@code shared/data} inside the checkout, or under {@code $P9_SHARED_DATA}; null if none is there.
   */
  public static Path sharedSampleOrNull() {
    String env = System.getenv("P9_SHARED_DATA");
    Path[] candidates = env != null ? new Path[] {Paths.get(env)}
        : new Path[] {root().resolve("../shared/data").normalize(), root().resolve("shared/data")};
    for (Path shared : candidates) {
      Path sample = shared.resolve("fruits360-sample");
      if (Files.isDirectory(sample.resolve("Training"))) {
        return sample;
      }
    }
    return null;
  }

  /**
   * The 2,940-image Fruits-360 sample (49 varieties x 60): {@code ../shared/data/fruits360-sample} when it
   * is there, else the byte-identical copy in the repository's {@code data/fruits360-49x60} (same files,
   * same manifest), so the integration tests run the same wherever the checkout lies.
   */
  public static Path fruitsSample() {
    Path shared = sharedSampleOrNull();
    return shared != null ? shared : root().resolve("data/fruits360-49x60");
  }
}
