package io.p9.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

class ProgressTest {
  @Test
  void reportsDoneTotalRateAndEta() {
    try (Progress p = new Progress(1000, () -> 0, () -> 0, 60_000)) {
      assertThat(p.line(250, 250, 10))
          .isEqualTo("250 / 1000 files done (25.0 %), 250 featurized, 25.0 images/s, ETA 30 s");
      assertThat(p.line(0, 0, 1)).endsWith("ETA ?");
    }
  }

  /**
   * Files that could not be decoded are done but not featurized: the rate counts only the images that got
   * features, as report.json's {@code imagesPerSecond} does; the ETA is of the files still to go, at the rate
   * files are done.
   */
  @Test
  void theRateCountsOnlyFeaturizedImagesAndTheEtaTheFilesToGo() {
    try (Progress p = new Progress(1000, () -> 0, () -> 0, 60_000)) {
      assertThat(p.line(250, 200, 10))
          .isEqualTo("250 / 1000 files done (25.0 %), 200 featurized, 20.0 images/s, ETA 30 s");
      assertThat(p.lastLine(1000, 900, 8))
          .isEqualTo("1000 / 1000 files done (100.0 %) in 8.0 s, 900 featurized, 112.5 images/s");
    }
  }

  /**
   * A partition counted twice (a shuffle-map task run again after a lost executor or a fetch failure, whose
   * counters Spark adds again) can take the done count past the listed total: the line must not then say more
   * than 100 % or a negative ETA.
   */
  @Test
  void aDoneCountPastTheTotalIsNeitherPast100PercentNorANegativeEta() {
    try (Progress p = new Progress(1000, () -> 0, () -> 0, 60_000)) {
      assertThat(p.line(1200, 1100, 10))
          .isEqualTo("1000 / 1000 files done (100.0 %), 1000 featurized, 110.0 images/s, ETA 0 s");
    }
  }

  /**
   * Log lines are read by people and by log tools: the same digits and decimal point whatever the default
   * locale of the JVM (German writes 25,0; Thai with its own numbering system ๒๕๐).
   */
  @Test
  void linesAreTheSameInEveryDefaultLocale() {
    Locale saved = Locale.getDefault();
    Locale savedFormat = Locale.getDefault(Locale.Category.FORMAT);
    try {
      for (String tag : List.of("de-DE", "fr-FR", "ar-EG", "th-TH-u-nu-thai", "hi-IN-u-nu-deva")) {
        Locale.setDefault(Locale.forLanguageTag(tag));
        try (Progress p = new Progress(1000, () -> 0, () -> 0, 60_000)) {
          assertThat(p.line(250, 250, 10)).as(tag)
              .isEqualTo("250 / 1000 files done (25.0 %), 250 featurized, 25.0 images/s, ETA 30 s");
          assertThat(p.lastLine(1000, 1000, 8)).as(tag)
              .isEqualTo("1000 / 1000 files done (100.0 %) in 8.0 s, 1000 featurized, 125.0 images/s");
        }
      }
    } finally {
      Locale.setDefault(saved);
      Locale.setDefault(Locale.Category.FORMAT, savedFormat);
    }
  }

  /**
   * The pass ends with one last line: all done, the rate over the whole pass; no line after it. Its counts are
   * those given, from the rows, not the counters', which can count a partition twice (here 2 of 38 images).
   */
  @Test
  void finishLogsOneLastLineAndStopsTheTimer() throws Exception {
    List<String> logged = new ArrayList<>();
    long[] done = {0, 0};
    Progress p = new Progress(40, () -> done[0], () -> done[1], 60_000, logged::add);
    done[0] = 42;
    done[1] = 40;
    p.finish(40, 38);
    p.close();
    assertThat(logged).singleElement().asString()
        .matches("40 / 40 files done \\(100\\.0 %\\) in \\d+\\.\\d s, 38 featurized, \\d+\\.\\d images/s");
  }

  /** The summary p9 run prints at the end (its throughput line too) is written the same in every locale. */
  @Test
  void theSummaryIsTheSameInEveryDefaultLocale() {
    FruitsJob.Report r = new FruitsJob.Report(240, 238, 2, java.util.Map.of("EMPTY", 2L), 1280, 41, 0.95123,
        3.14, 76.43, 12.25, true, "out/pipeline-model", "out/features.parquet", "out/features.csv", "out/errors.csv",
        "out/explained-variance.svg", "out/pc1-pc2.svg", List.of());
    Locale saved = Locale.getDefault();
    Locale savedFormat = Locale.getDefault(Locale.Category.FORMAT);
    try {
      for (String tag : List.of("de-DE", "ar-EG", "th-TH-u-nu-thai")) {
        Locale.setDefault(Locale.forLanguageTag(tag));
        assertThat(FruitsJob.summary(r)).as(tag)
            .contains("  files read           240\n")
            .contains("  PCA                  k = 41, explained variance 0.9512\n")
            .contains("  featurize pass       3.1 s, 76.4 images/s\n")
            .contains("  total                12.3 s\n");
      }
    } finally {
      Locale.setDefault(saved);
      Locale.setDefault(Locale.Category.FORMAT, savedFormat);
    }
  }
}
