package io.p9.core.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

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

  /**
   * The 2,940-image sample in {@code ../shared/data/fruits360-sample} (env {@code P9_SHARED_DATA} overrides
   * {@code ../shared/data}). Fails with a clear message when absent: the integration tests need it.
   */
  public static Path sharedSample() {
    String env = System.getenv("P9_SHARED_DATA");
    Path shared = env != null ? Paths.get(env) : root().resolve("../shared/data").normalize();
    Path sample = shared.resolve("fruits360-sample");
    if (!Files.isDirectory(sample.resolve("Training"))) {
      throw new IllegalStateException("the Fruits-360 sample is not at " + sample
          + " (set P9_SHARED_DATA to the folder holding fruits360-sample/)");
    }
    return sample;
  }
}
