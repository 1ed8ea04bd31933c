package io.p9.core.linalg;

import static io.p9.core.linalg.Reference.accumulate;
import static io.p9.core.linalg.Reference.assertArrayClose;
import static io.p9.core.linalg.Reference.assertCovarianceClose;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class CovarianceAccumulatorTest {
  private static final int B = CovarianceAccumulator.BLOCK_ROWS;
  private static final double REL = 1e-9;

  static Stream<Arguments> shapes() {
    int[] dims = {1, 2, 3, 5, 8, 13, 20};
    int[] counts = {2, 3, B - 1, B, B + 1, 2 * B, 3 * B + 7};
    List<Arguments> args = new ArrayList<>();
    for (int d : dims) {
      for (int n : counts) {
        args.add(Arguments.of(d, n));
      }
    }
    return args.stream();
  }

  @ParameterizedTest(name = "d={0} n={1}")
  @MethodSource("shapes")
  void matchesTwoPassReference(int d, int n) {
    Seeded.trials(3, rnd -> {
      double[][] rows = Reference.correlatedRows(rnd, n, d, d, 100);
      CovarianceAccumulator acc = accumulate(d, rows, 0, n);
      assertThat(acc.count()).isEqualTo(n);
      assertThat(acc.dim()).isEqualTo(d);
      assertArrayClose("mean", acc.mean(), Reference.mean(rows), 1e-12 * 100);
      assertCovarianceClose(acc.covariance(), Reference.covariance(rows), d, REL);
    });
  }

  @Test
  void covarianceIsSymmetric() {
    Seeded.trials(5, rnd -> {
      int d = 1 + rnd.nextInt(30);
      double[][] rows = Reference.correlatedRows(rnd, 2 + rnd.nextInt(400), d, d, 10);
      double[] c = accumulate(d, rows, 0, rows.length).covariance();
      for (int i = 0; i < d; i++) {
        for (int j = 0; j < d; j++) {
          assertThat(c[i * d + j]).isEqualTo(c[j * d + i]);
        }
      }
    });
  }

  /** count(), mean() and covariance() fold the buffer; the accumulator keeps going afterwards. */
  @Test
  void queriesMidStreamDoNotChangeTheResult() {
    Seeded.trials(10, rnd -> {
      int d = 1 + rnd.nextInt(20);
      int n = 2 + rnd.nextInt(4 * B);
      double[][] rows = Reference.correlatedRows(rnd, n, d, d, 50);
      CovarianceAccumulator probed = new CovarianceAccumulator(d);
      for (int k = 0; k < n; k++) {
        probed.add(rows[k]);
        assertThat(probed.count()).isEqualTo(k + 1);
        if (rnd.nextInt(10) == 0) {
          probed.mean();
          if (probed.count() >= 2) {
            probed.covariance();
          }
        }
      }
      assertArrayClose("mean", probed.mean(), Reference.mean(rows), 1e-12 * 50);
      assertCovarianceClose(probed.covariance(), Reference.covariance(rows), d, REL);
    });
  }

  /** Rows split into random partitions (some empty), merged in a random tree: same as one accumulator. */
  @Test
  void mergeIsOrderIndependent() {
    Seeded.trials(20, rnd -> {
      int d = 1 + rnd.nextInt(20);
      int n = 2 + rnd.nextInt(6 * B);
      double[][] rows = Reference.correlatedRows(rnd, n, d, d, 100);
      CovarianceAccumulator whole = accumulate(d, rows, 0, n);

      List<CovarianceAccumulator> parts = new ArrayList<>();
      for (int[] range : randomPartitions(rnd, n, 1 + rnd.nextInt(12))) {
        parts.add(accumulate(d, rows, range[0], range[1]));
      }
      while (parts.size() > 1) {
        CovarianceAccumulator a = parts.remove(rnd.nextInt(parts.size()));
        CovarianceAccumulator b = parts.remove(rnd.nextInt(parts.size()));
        parts.add(a.merge(b));
      }
      CovarianceAccumulator merged = parts.get(0);
      assertThat(merged.count()).isEqualTo(n);
      assertArrayClose("mean", merged.mean(), whole.mean(), 1e-12 * 100);
      assertCovarianceClose(merged.covariance(), whole.covariance(), d, REL);
      assertCovarianceClose(merged.covariance(), Reference.covariance(rows), d, REL);
    });
  }

  @Test
  void mergeWithEmptyAccumulatorsIsIdentity() {
    Seeded.trials(5, rnd -> {
      int d = 1 + rnd.nextInt(10);
      double[][] rows = Reference.correlatedRows(rnd, 2 + rnd.nextInt(300), d, d, 10);
      CovarianceAccumulator left = new CovarianceAccumulator(d).merge(accumulate(d, rows, 0, rows.length));
      CovarianceAccumulator right = accumulate(d, rows, 0, rows.length).merge(new CovarianceAccumulator(d));
      for (CovarianceAccumulator acc : List.of(left, right)) {
        assertThat(acc.count()).isEqualTo(rows.length);
        assertCovarianceClose(acc.covariance(), Reference.covariance(rows), d, REL);
      }
      assertThat(new CovarianceAccumulator(d).merge(new CovarianceAccumulator(d)).count()).isZero();
    });
  }

  @Test
  void mergingIntoItselfCountsEveryRowTwice() {
    Seeded.trials(5, rnd -> {
      int d = 1 + rnd.nextInt(10);
      int n = 2 + rnd.nextInt(300);
      double[][] rows = Reference.correlatedRows(rnd, n, d, d, 10);
      double[][] twice = new double[2 * n][];
      for (int k = 0; k < n; k++) {
        twice[k] = rows[k];
        twice[n + k] = rows[k];
      }
      CovarianceAccumulator acc = accumulate(d, rows, 0, n);
      acc.merge(acc);
      assertThat(acc.count()).isEqualTo(2L * n);
      assertCovarianceClose(acc.covariance(), Reference.covariance(twice), d, REL);
    });
  }

  /** Serialize with rows still buffered, deserialize, keep adding: same as never serialized. */
  @Test
  void javaSerializationMidStreamThenContinuing() {
    Seeded.trials(10, rnd -> {
      int d = 1 + rnd.nextInt(20);
      int n = B + 2 + rnd.nextInt(3 * B);
      double[][] rows = Reference.correlatedRows(rnd, n, d, d, 100);
      int cut = B + 1 + rnd.nextInt(n - B - 1); // leaves cut % B rows buffered
      CovarianceAccumulator acc = accumulate(d, rows, 0, cut);
      CovarianceAccumulator copy = Reference.roundTrip(acc);
      assertThat(copy.dim()).isEqualTo(d);
      assertThat(copy.count()).isEqualTo(cut);
      for (int k = cut; k < n; k++) {
        copy.add(rows[k]);
        acc.add(rows[k]);
      }
      assertThat(copy.count()).isEqualTo(n);
      assertArrayClose("mean", copy.mean(), Reference.mean(rows), 1e-12 * 100);
      assertCovarianceClose(copy.covariance(), Reference.covariance(rows), d, REL);
      // The original is unaffected by having been serialized.
      assertCovarianceClose(acc.covariance(), Reference.covariance(rows), d, REL);
    });
  }

  /** As Spark's treeAggregate does: partitions serialized, shipped, merged. */
  @Test
  void serializedPartitionsMergeToTheWhole() {
    Seeded.trials(5, rnd -> {
      int d = 1 + rnd.nextInt(15);
      int n = 2 + rnd.nextInt(5 * B);
      double[][] rows = Reference.correlatedRows(rnd, n, d, d, 100);
      CovarianceAccumulator total = Reference.roundTrip(new CovarianceAccumulator(d));
      for (int[] range : randomPartitions(rnd, n, 1 + rnd.nextInt(6))) {
        CovarianceAccumulator shipped = Reference.roundTrip(accumulate(d, rows, range[0], range[1]));
        total = Reference.roundTrip(total.merge(shipped));
      }
      assertThat(total.count()).isEqualTo(n);
      assertCovarianceClose(total.covariance(), Reference.covariance(rows), d, REL);
    });
  }

  @Test
  void serializedFormHoldsThePackedTriangleAndNoBuffer() throws Exception {
    int d = 200;
    Random rnd = new Random(7);
    double[][] rows = Reference.correlatedRows(rnd, B + 5, d, 3, 1);
    byte[] bytes = Reference.serialize(accumulate(d, rows, 0, rows.length));
    long packed = 8L * (d * (d + 1) / 2 + 2 * d); // upper triangle + the two parts of the mean
    long buffer = 8L * B * d;
    assertThat((long) bytes.length).isBetween(packed, packed + 1024).isLessThan(packed + buffer);
    // Spark ships the zeroValue to every task: an empty accumulator must be tiny.
    assertThat(Reference.serialize(new CovarianceAccumulator(1280)).length).isLessThan(512);
  }

  /**
   * Rows at a huge offset plus unit noise. The one-pass sum-of-squares formula loses every digit (at 1e8 the
   * sums are ~1e16 per row, their ulp ~1, the variance ~1); the blocked, centred accumulator with its
   * double-double mean keeps about 13, through adds and through merges.
   */
  @ParameterizedTest(name = "offset={0}")
  @MethodSource("hugeOffsets")
  void hugeOffsetKeepsFullPrecision(double offset) {
    Seeded.trials(3, rnd -> {
      int d = 3;
      int n = 20 * B + 3;
      double[][] noise = Reference.correlatedRows(rnd, n, d, d, 0);
      double[][] rows = new double[n][d];
      double[][] shifted = new double[n][d];
      for (int k = 0; k < n; k++) {
        for (int i = 0; i < d; i++) {
          rows[k][i] = offset + noise[k][i];
          shifted[k][i] = rows[k][i] - offset; // exact (Sterbenz), so the reference sees the same data
        }
      }
      double[] expected = Reference.covariance(shifted);
      CovarianceAccumulator acc = accumulate(d, rows, 0, n);
      assertCovarianceClose(acc.covariance(), expected, d, 1e-11);
      double[] expectedMean = Reference.mean(shifted);
      for (int i = 0; i < d; i++) {
        expectedMean[i] += offset;
      }
      assertArrayClose("mean", acc.mean(), expectedMean, Math.ulp(offset));

      CovarianceAccumulator merged = new CovarianceAccumulator(d);
      for (int[] range : randomPartitions(rnd, n, 2 + rnd.nextInt(8))) {
        merged.merge(accumulate(d, rows, range[0], range[1]));
      }
      assertCovarianceClose(merged.covariance(), expected, d, 1e-11);

      double[] naive = Reference.naiveCovariance(rows);
      double worst = 0;
      for (int i = 0; i < d; i++) {
        worst = Math.max(worst, Math.abs(naive[i * d + i] - expected[i * d + i]) / expected[i * d + i]);
      }
      assertThat(worst).as("relative error of the naive formula on the variances").isGreaterThan(1e-3);
    });
  }

  static Stream<Double> hugeOffsets() {
    return Stream.of(1e8, -3e10, 1e12);
  }

  @Test
  void constantRowsGiveZeroCovariance() {
    double[] row = {0.1, -3.7e5, 1e8, 42};
    CovarianceAccumulator acc = new CovarianceAccumulator(4);
    for (int k = 0; k < 3 * B + 7; k++) {
      acc.add(row);
    }
    assertArrayClose("mean", acc.mean(), row, 1e-8);
    double[] c = acc.covariance();
    for (int i = 0; i < 4; i++) {
      for (int j = 0; j < 4; j++) {
        assertThat(Math.abs(c[i * 4 + j])).isLessThanOrEqualTo(1e-20 * Math.abs(row[i] * row[j]) + 1e-300);
      }
    }
  }

  @Test
  void addDoesNotKeepTheCallersArray() {
    CovarianceAccumulator acc = new CovarianceAccumulator(2);
    double[] row = {1, 2};
    acc.add(row);
    row[0] = 100;
    row[1] = 200;
    acc.add(new double[] {3, 4});
    assertThat(acc.mean()).containsExactly(2, 3);
  }

  @Test
  void meanIsACopy() {
    CovarianceAccumulator acc = new CovarianceAccumulator(2).add(new double[] {1, 2}).add(new double[] {3, 4});
    acc.mean()[0] = 99;
    acc.covariance()[0] = 99;
    assertThat(acc.mean()).containsExactly(2, 3);
    assertThat(acc.covariance()).containsExactly(2, 2, 2, 2);
  }

  @Test
  void rejectsBadArguments() {
    assertThatThrownBy(() -> new CovarianceAccumulator(0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new CovarianceAccumulator(CovarianceAccumulator.MAX_DIM + 1))
        .isInstanceOf(IllegalArgumentException.class);
    CovarianceAccumulator acc = new CovarianceAccumulator(3);
    assertThatThrownBy(() -> acc.add(new double[2]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("3")
        .hasMessageContaining("2");
    assertThatThrownBy(() -> acc.add(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> acc.merge(new CovarianceAccumulator(4)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("4")
        .hasMessageContaining("3");
    assertThatThrownBy(acc::mean).isInstanceOf(IllegalStateException.class);
    acc.add(new double[3]);
    assertThatThrownBy(acc::covariance).isInstanceOf(IllegalStateException.class).hasMessageContaining("2 rows");
    assertThat(acc.count()).isEqualTo(1);
  }

  /** Contiguous ranges [from, to) covering 0..n in {@code parts} pieces, some possibly empty. */
  static List<int[]> randomPartitions(Random rnd, int n, int parts) {
    List<Integer> cuts = new ArrayList<>();
    for (int p = 0; p < parts - 1; p++) {
      cuts.add(rnd.nextInt(n + 1));
    }
    cuts.add(0);
    cuts.add(n);
    Collections.sort(cuts);
    List<int[]> ranges = new ArrayList<>();
    for (int p = 0; p + 1 < cuts.size(); p++) {
      ranges.add(new int[] {cuts.get(p), cuts.get(p + 1)});
    }
    return ranges;
  }
}
