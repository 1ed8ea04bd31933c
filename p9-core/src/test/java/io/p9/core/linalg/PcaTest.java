package io.p9.core.linalg;

import static io.p9.core.linalg.Reference.accumulate;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PcaTest {

  /**
   * Rows (2,1), (3,5), (4,3), (7,7): mean (4,4), comoment [[14,14],[14,20]], covariance that / 3. Its
   * eigenvalues are (17 ± √205) / 3 with eigenvectors (14, 3 + √205) and (3 + √205, -14), signs so that the
   * larger entry is positive.
   */
  @Test
  void handComputedTwoDimensionalExample() {
    CovarianceAccumulator acc = new CovarianceAccumulator(2);
    for (double[] row : new double[][] {{2, 1}, {3, 5}, {4, 3}, {7, 7}}) {
      acc.add(row);
    }
    assertThat(acc.covariance()).containsExactly(new double[] {14 / 3.0, 14 / 3.0, 14 / 3.0, 20 / 3.0}, within(1e-14));
    PcaResult pca = Pca.fit(acc);
    double r = Math.sqrt(205);
    assertThat(pca.dim()).isEqualTo(2);
    assertThat(pca.mean()).containsExactly(new double[] {4, 4}, within(1e-15));
    assertThat(pca.eigenvalues()).containsExactly(new double[] {(17 + r) / 3, (17 - r) / 3}, within(1e-13));
    assertThat(pca.totalVariance()).isCloseTo(34 / 3.0, within(1e-13));
    double n1 = Math.hypot(14, 3 + r);
    assertThat(pca.components(2)).containsExactly(
        new double[] {14 / n1, (3 + r) / n1, (3 + r) / n1, -14 / n1}, within(1e-13));
    assertThat(pca.explainedVarianceRatio()).containsExactly(new double[] {(17 + r) / 34, (17 - r) / 34}, within(1e-14));
    assertThat(pca.cumulativeExplainedVariance()).containsExactly(new double[] {(17 + r) / 34, 1}, within(1e-14));
    assertThat(pca.kForVariance(0.9)).isEqualTo(1); // (17 + √205) / 34 = 0.921
    assertThat(pca.kForVariance(0.95)).isEqualTo(2);
    // (7,7) centred is (3,3): projections 3·(14 + 3 + √205)/n1 and 3·(3 + √205 - 14)/n1.
    assertThat(pca.project(new double[] {7, 7}, 2))
        .containsExactly(new double[] {3 * (17 + r) / n1, 3 * (r - 11) / n1}, within(1e-13));
  }

  /** Everything PCA promises, on x = mu + A z with a random A (sometimes of low rank) and many shapes. */
  @Test
  void propertiesOnDataWithAKnownCovariance() {
    Seeded.trials(30, rnd -> {
      int d = 1 + rnd.nextInt(16);
      int rank = rnd.nextInt(3) == 0 ? 1 + rnd.nextInt(d) : d;
      int n = Math.max(2, d + 1 + rnd.nextInt(1500));
      double[][] rows = Reference.correlatedRows(rnd, n, d, rank, 100);
      CovarianceAccumulator acc = accumulate(d, rows, 0, n);
      double[] cov = acc.covariance();
      PcaResult pca = Pca.fit(acc);
      double[] values = pca.eigenvalues();
      double[] v = pca.components(d);
      double top = values[0];
      String shape = "d=" + d + " rank=" + rank + " n=" + n + ": ";

      // Orthonormal, with the sign rule.
      for (int a = 0; a < d; a++) {
        for (int b = 0; b < d; b++) {
          double dot = 0;
          for (int i = 0; i < d; i++) {
            dot += v[a * d + i] * v[b * d + i];
          }
          assertThat(dot).as(shape + "v%d·v%d", a, b).isCloseTo(a == b ? 1 : 0, within(1e-9));
        }
        int largest = 0;
        for (int i = 1; i < d; i++) {
          if (Math.abs(v[a * d + i]) > Math.abs(v[a * d + largest]) * (1 + 1e-9)) {
            largest = i;
          }
        }
        assertThat(v[a * d + largest]).as(shape + "largest entry of v%d", a).isPositive();
      }
      // Eigenpairs of the covariance: C v = λ v.
      for (int j = 0; j < d; j++) {
        for (int i = 0; i < d; i++) {
          double cv = 0;
          for (int m = 0; m < d; m++) {
            cv += cov[i * d + m] * v[j * d + m];
          }
          assertThat(cv).as(shape + "(C v%d)[%d]", j, i).isCloseTo(values[j] * v[j * d + i], within(1e-9 * top));
        }
      }
      // Eigenvalues decreasing, >= 0, summing to the trace; beyond the rank, ~0.
      double trace = 0;
      for (int i = 0; i < d; i++) {
        trace += cov[i * d + i];
      }
      assertThat(pca.totalVariance()).as(shape + "total variance").isCloseTo(trace, within(1e-12 * trace));
      for (int j = 0; j < d; j++) {
        assertThat(values[j]).as(shape + "eigenvalue %d", j).isGreaterThanOrEqualTo(0);
        if (j > 0) {
          assertThat(values[j]).as(shape + "eigenvalue %d", j).isLessThanOrEqualTo(values[j - 1]);
        }
        if (j >= rank) {
          assertThat(values[j]).as(shape + "eigenvalue %d beyond the rank", j).isLessThan(1e-9 * top);
        }
      }
      assertThat(pca.explainedVariance()).containsExactly(values);

      // Ratios in [0, 1] summing to 1; cumulative non-decreasing, ending at exactly 1.
      double[] ratio = pca.explainedVarianceRatio();
      double[] cum = pca.cumulativeExplainedVariance();
      assertThat(Arrays.stream(ratio).sum()).as(shape + "sum of ratios").isCloseTo(1, within(1e-12));
      for (int j = 0; j < d; j++) {
        assertThat(ratio[j]).isBetween(0.0, 1.0);
        assertThat(cum[j]).isBetween(0.0, 1.0);
        if (j > 0) {
          assertThat(cum[j]).as(shape + "cumulative %d", j).isGreaterThanOrEqualTo(cum[j - 1]);
          assertThat(ratio[j]).isLessThanOrEqualTo(ratio[j - 1]);
        }
      }
      assertThat(cum[d - 1]).isEqualTo(1.0);

      // kForVariance: monotone in the target, and minimal.
      double[] targets = new double[40];
      for (int t = 0; t < targets.length; t++) {
        targets[t] = 1 - rnd.nextDouble(); // (0, 1]
      }
      targets[0] = 1.0;
      targets[1] = Double.MIN_VALUE;
      targets[2] = cum[rnd.nextInt(d)]; // exactly on a step
      Arrays.sort(targets);
      int previous = 1;
      for (double t : targets) {
        int k = pca.kForVariance(t);
        assertThat(k).as(shape + "kForVariance(%s)", t).isBetween(previous, d);
        assertThat(cum[k - 1]).as(shape + "cumulative at kForVariance(%s)", t).isGreaterThanOrEqualTo(t - 1e-12);
        if (k > 1) {
          assertThat(cum[k - 2]).as(shape + "cumulative below kForVariance(%s)", t).isLessThan(t - 1e-12);
        }
        previous = k;
      }
      assertThat(pca.kForVariance(1.0)).as(shape + "k for all the variance").isLessThanOrEqualTo(rank);

      // The mean projects to 0.
      double[] out = new double[d];
      Pca.project(pca.mean(), pca.mean(), v, d, out);
      assertThat(out).containsOnly(0.0);

      // All d components: an isometry of the centred data.
      double[] mean = pca.mean();
      for (int t = 0; t < 20; t++) {
        double[] x = rows[rnd.nextInt(n)];
        double[] y = rows[rnd.nextInt(n)];
        double[] px = pca.project(x, d);
        double[] py = pca.project(y, d);
        double before = 0;
        double after = 0;
        for (int i = 0; i < d; i++) {
          before += (x[i] - y[i]) * (x[i] - y[i]);
          after += (px[i] - py[i]) * (px[i] - py[i]);
        }
        assertThat(after).as(shape + "squared distance after projection").isCloseTo(before, within(1e-9 * (before + top)));
      }

      // Keeping k components loses, on average over the rows, the sum of the dropped eigenvalues.
      for (int k : new int[] {1, (d + 1) / 2, d}) {
        double[] vk = pca.components(k);
        double[] p = new double[k];
        double lost = 0;
        for (double[] x : rows) {
          Pca.project(x, mean, vk, k, p);
          for (int i = 0; i < d; i++) {
            double back = 0;
            for (int j = 0; j < k; j++) {
              back += vk[j * d + i] * p[j];
            }
            double e = x[i] - mean[i] - back;
            lost += e * e;
          }
        }
        double dropped = 0;
        for (int j = k; j < d; j++) {
          dropped += values[j];
        }
        assertThat(lost / (n - 1)).as(shape + "reconstruction error with k=%d", k).isCloseTo(dropped, within(1e-9 * trace));
      }
    });
  }

  /** The eigenvalues estimate those of the generating covariance A Aᵀ (a loose, statistical check). */
  @Test
  void eigenvaluesApproachThoseOfTheGeneratingCovariance() {
    Seeded.trials(3, rnd -> {
      double[] sd = {5, 3, 2, 1, 0.5};
      int d = sd.length;
      // A = Q diag(sd) with a random rotation Q, so A Aᵀ has eigenvalues sd².
      double[][] q = randomRotation(rnd, d);
      CovarianceAccumulator acc = new CovarianceAccumulator(d);
      int n = 40_000;
      double[] x = new double[d];
      for (int k = 0; k < n; k++) {
        double[] z = new double[d];
        for (int m = 0; m < d; m++) {
          z[m] = rnd.nextGaussian() * sd[m];
        }
        for (int i = 0; i < d; i++) {
          x[i] = 10;
          for (int m = 0; m < d; m++) {
            x[i] += q[i][m] * z[m];
          }
        }
        acc.add(x);
      }
      PcaResult pca = Pca.fit(acc);
      for (int j = 0; j < d; j++) {
        // The sample variance has relative standard error sqrt(2 / n) = 0.7 %; allow 6 of those.
        assertThat(pca.eigenvalues()[j]).as("eigenvalue %d", j).isCloseTo(sd[j] * sd[j], within(0.045 * sd[j] * sd[j]));
        // The leading component is the first column of Q up to sign: |cos| close to 1.
      }
      double cos = 0;
      double[] v = pca.components(1);
      for (int i = 0; i < d; i++) {
        cos += v[i] * q[i][0];
      }
      assertThat(Math.abs(cos)).isGreaterThan(0.99);
    });
  }

  /**
   * Scaling the data by a power of two scales its covariance exactly, so the fit of rows times 2^s is the fit of
   * the rows: the same components and ratios, eigenvalues times 4^s, projections times 2^s, bit for bit, from
   * variances about 2^-900 to 2^900. With constant features and rank below d. The eigensolver's own arithmetic
   * used to depend on the scale: at variances near 1e-310 it did not converge.
   */
  @Test
  void aPowerOfTwoScaleOfTheDataScalesTheFitExactly() {
    Seeded.trials(40, rnd -> {
      double[][] rows = smallRows(rnd);
      int d = rows[0].length;
      int n = rows.length;
      int s = -450 + rnd.nextInt(901);
      double[][] scaled = scaled(rows, s);
      String shape = "d=" + d + " n=" + n + " s=" + s + ": ";
      for (boolean standardized : new boolean[] {false, true}) {
        PcaResult unit = fit(accumulate(d, rows, 0, n), standardized);
        PcaResult pca = fit(accumulate(d, scaled, 0, n), standardized);
        assertThat(pca.components(d)).as(shape + "components").containsExactly(unit.components(d));
        assertThat(pca.explainedVarianceRatio()).as(shape + "ratios").containsExactly(unit.explainedVarianceRatio());
        double[] ev = unit.eigenvalues();
        for (int j = 0; j < d; j++) {
          ev[j] = standardized ? ev[j] : Math.scalb(ev[j], 2 * s);
        }
        assertThat(pca.eigenvalues()).as(shape + "eigenvalues").containsExactly(ev);
      }
    });
  }

  /**
   * Data of any magnitude, each feature its own, from values whose variance is 0 in doubles (1e-300) through
   * subnormal variances to values near the square root of the largest double, constant features and rank below
   * d: the fit is finite and consistent (no NaN or infinity in eigenvalues, ratios, components or projections,
   * kForVariance within [1, d]), or it refuses a variance too large for a double, saying so.
   */
  @Test
  void dataOfAnyMagnitudeFitsFiniteOrIsRefusedAsTooLarge() {
    Seeded.trials(90, rnd -> {
      double[][] rows = smallRows(rnd);
      int d = rows[0].length;
      int n = rows.length;
      // a third of the trials where the variances are subnormal, a third where they near the largest double
      int band = rnd.nextInt(3);
      int common = band == 0 ? -540 + rnd.nextInt(36) : band == 1 ? 500 + rnd.nextInt(16) : -620 + rnd.nextInt(1140);
      for (int i = 0; i < d; i++) {
        int e = rnd.nextBoolean() ? common : common - rnd.nextInt(200);
        for (double[] row : rows) {
          row[i] = Math.scalb(row[i], e);
        }
      }
      String shape = "d=" + d + " n=" + n + " 2^" + common + ": ";
      for (boolean standardized : new boolean[] {false, true}) {
        PcaResult pca;
        try {
          pca = fit(accumulate(d, rows, 0, n), standardized);
        } catch (IllegalArgumentException e) {
          assertThat(common).as(shape + "refused: " + e.getMessage()).isGreaterThan(480);
          assertThat(e.getMessage()).contains("too large");
          continue;
        }
        double[] values = pca.eigenvalues();
        double[] ratio = pca.explainedVarianceRatio();
        double[] cum = pca.cumulativeExplainedVariance();
        for (int j = 0; j < d; j++) {
          assertThat(values[j]).as(shape + "eigenvalue %d", j).isFinite().isGreaterThanOrEqualTo(0);
          assertThat(ratio[j]).as(shape + "ratio %d", j).isBetween(0.0, 1.0);
          assertThat(cum[j]).as(shape + "cumulative %d", j).isBetween(0.0, 1.0);
          if (j > 0) {
            assertThat(values[j]).isLessThanOrEqualTo(values[j - 1]);
            assertThat(cum[j]).isGreaterThanOrEqualTo(cum[j - 1]);
          }
        }
        assertThat(cum[d - 1]).as(shape + "last cumulative").isIn(0.0, 1.0);
        assertThat(Double.isFinite(pca.totalVariance())).as(shape + "total variance").isTrue();
        for (double target : new double[] {1e-9, 0.5, 0.9, 0.99, 1.0}) {
          assertThat(pca.kForVariance(target)).as(shape + "k for %s", target).isBetween(1, d);
        }
        assertThat(Arrays.stream(pca.components(d)).allMatch(Double::isFinite)).as(shape + "components").isTrue();
        for (double[] row : rows) {
          assertThat(Arrays.stream(pca.project(row, d)).allMatch(Double::isFinite)).as(shape + "projection").isTrue();
        }
      }
    });
  }

  private static PcaResult fit(CovarianceAccumulator acc, boolean standardized) {
    return standardized ? Pca.fitStandardized(acc, new double[acc.dim()]) : Pca.fit(acc);
  }

  /**
   * 2 to 61 rows of 1 to 8 features of a random rank (Reference.correlatedRows), each feature made constant with
   * probability 1/4.
   */
  private static double[][] smallRows(Random rnd) {
    int d = 1 + rnd.nextInt(8);
    double[][] rows = Reference.correlatedRows(rnd, 2 + rnd.nextInt(60), d, 1 + rnd.nextInt(d), 10);
    for (int i = 0; i < d; i++) {
      if (rnd.nextInt(4) == 0) {
        double c = rows[0][i];
        for (double[] row : rows) {
          row[i] = c;
        }
      }
    }
    return rows;
  }

  private static double[][] scaled(double[][] rows, int s) {
    double[][] out = new double[rows.length][];
    for (int k = 0; k < rows.length; k++) {
      out[k] = new double[rows[k].length];
      for (int i = 0; i < out[k].length; i++) {
        out[k][i] = Math.scalb(rows[k][i], s);
      }
    }
    return out;
  }

  /**
   * Variances each below the largest double but adding up above it (correlated features: the top eigenvalue is
   * above it; independent ones: their total, which every ratio divides by) are refused, saying so, rather than
   * giving an infinite eigenvalue or NaN ratios.
   */
  @Test
  void variancesAddingUpAboveTheLargestDoubleAreRefused() {
    double v = 0.8e154;
    // variances 1.28e308, the top eigenvalue 2.56e308
    CovarianceAccumulator correlated = new CovarianceAccumulator(2).add(new double[] {v, v}).add(new double[] {-v, -v});
    // an equilateral triangle: features 0, 1 its x, features 2, 3 its y; two eigenvalues of 1.5e308
    double w = 1e154;
    double h = w * Math.sqrt(3) / 2;
    CovarianceAccumulator independent = new CovarianceAccumulator(4).add(new double[] {w, w, 0, 0})
        .add(new double[] {-w / 2, -w / 2, h, h}).add(new double[] {-w / 2, -w / 2, -h, -h});
    for (CovarianceAccumulator acc : new CovarianceAccumulator[] {correlated, independent}) {
      assertThat(Arrays.stream(acc.covariance()).allMatch(Double::isFinite)).as("covariance finite").isTrue();
      assertThatThrownBy(() -> Pca.fit(acc)).isInstanceOf(IllegalArgumentException.class)
          .hasMessage("the variances of the features add up to more than the largest double (1.7976931348623157E308):"
              + " the values are too large");
      assertThat(Pca.fitStandardized(acc, new double[acc.dim()]).totalVariance()).isCloseTo(acc.dim(), within(1e-12));
    }
  }

  @Test
  void constantDataHasNoVarianceToExplain() {
    CovarianceAccumulator acc = new CovarianceAccumulator(3);
    for (int k = 0; k < 10; k++) {
      acc.add(new double[] {1, -2, 3});
    }
    PcaResult pca = Pca.fit(acc);
    assertThat(pca.totalVariance()).isZero();
    assertThat(pca.eigenvalues()).containsOnly(0.0);
    assertThat(pca.explainedVarianceRatio()).containsOnly(0.0);
    assertThat(pca.cumulativeExplainedVariance()).containsOnly(0.0);
    assertThat(pca.kForVariance(0.95)).isEqualTo(1);
    assertThat(pca.project(new double[] {1, -2, 3}, 3)).containsOnly(0.0);
  }

  @Test
  void oneDimension() {
    CovarianceAccumulator acc = new CovarianceAccumulator(1).add(new double[] {1}).add(new double[] {-3});
    PcaResult pca = Pca.fit(acc);
    assertThat(pca.eigenvalues()).containsExactly(8.0);
    assertThat(pca.components(1)).containsExactly(1.0);
    assertThat(pca.project(new double[] {5}, 1)).containsExactly(6.0);
    assertThat(pca.kForVariance(1.0)).isEqualTo(1);
  }

  @Test
  void fitRejectsTooFewRowsAndNonFiniteData() {
    assertThatThrownBy(() -> Pca.fit(new CovarianceAccumulator(2)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least 2 rows");
    assertThatThrownBy(() -> Pca.fit(new CovarianceAccumulator(2).add(new double[] {1, 2})))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("got 1");
    CovarianceAccumulator nan = new CovarianceAccumulator(2).add(new double[] {1, 2}).add(new double[] {Double.NaN, 0});
    assertThatThrownBy(() -> Pca.fit(nan)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("NaN");
  }

  /** The message names the feature holding the NaN (not feature 0, whose covariance row is NaN there too). */
  @Test
  void nonFiniteDataNamesTheFeature() {
    CovarianceAccumulator nan = new CovarianceAccumulator(3).add(new double[] {1, 2, 3})
        .add(new double[] {2, Double.NaN, 0}).add(new double[] {0, 1, 1});
    assertThatThrownBy(() -> Pca.fit(nan)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("the variance of feature 1 is NaN");
    assertThatThrownBy(() -> Pca.fitStandardized(nan, new double[3])).isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("the variance of feature 1 is NaN");
    CovarianceAccumulator huge = new CovarianceAccumulator(2).add(new double[] {1, 1e200}).add(new double[] {2, -1e200});
    assertThatThrownBy(() -> Pca.fitStandardized(huge, new double[2])).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("the variance of feature 1 is Infinity: its values are too large to square");
  }

  @Test
  void kForVarianceRejectsTargetsOutsideZeroToOne() {
    PcaResult pca = Pca.fit(accumulate(3, Reference.correlatedRows(new Random(1), 50, 3, 3, 1), 0, 50));
    for (double bad : new double[] {0, -0.1, 1.0000001, Double.NaN, Double.POSITIVE_INFINITY}) {
      assertThatThrownBy(() -> pca.kForVariance(bad))
          .as("target %s", bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("(0, 1]");
    }
  }

  @Test
  void componentsAreAColumnMajorPrefix() {
    int d = 4;
    PcaResult pca = Pca.fit(accumulate(d, Reference.correlatedRows(new Random(2), 100, d, d, 1), 0, 100));
    double[] all = pca.components(d);
    for (int k = 1; k <= d; k++) {
      assertThat(pca.components(k)).containsExactly(Arrays.copyOf(all, k * d));
    }
    assertThatThrownBy(() -> pca.components(0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> pca.components(d + 1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> pca.project(new double[d], 0)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void resultIsImmutable() {
    PcaResult pca = Pca.fit(accumulate(3, Reference.correlatedRows(new Random(3), 60, 3, 3, 1), 0, 60));
    double[] mean = pca.mean();
    double[] values = pca.eigenvalues();
    double[] cum = pca.cumulativeExplainedVariance();
    double[] comps = pca.components(3);
    pca.mean()[0] = 1e9;
    pca.eigenvalues()[0] = -1;
    pca.cumulativeExplainedVariance()[0] = -1;
    pca.components(3)[0] = 1e9;
    pca.explainedVariance()[0] = -1;
    assertThat(pca.mean()).containsExactly(mean);
    assertThat(pca.eigenvalues()).containsExactly(values);
    assertThat(pca.cumulativeExplainedVariance()).containsExactly(cum);
    assertThat(pca.components(3)).containsExactly(comps);

    double[] m = mean.clone();
    double[] e = values.clone();
    double[] c = comps.clone();
    PcaResult built = new PcaResult(m, e, c);
    m[0] = 1e9;
    e[0] = -1;
    c[0] = 1e9;
    assertThat(built.mean()).containsExactly(mean);
    assertThat(built.eigenvalues()).containsExactly(values);
    assertThat(built.components(3)).containsExactly(comps);
  }

  @Test
  void constructorValidates() {
    double[] id = {1, 0, 0, 1};
    assertThat(new PcaResult(new double[2], new double[] {2, 1}, id).kForVariance(0.5)).isEqualTo(1);
    assertThatThrownBy(() -> new PcaResult(new double[0], new double[0], new double[0]))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new PcaResult(new double[2], new double[] {1}, id))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("eigenvalues");
    assertThatThrownBy(() -> new PcaResult(new double[2], new double[] {2, 1}, new double[3]))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("components");
    assertThatThrownBy(() -> new PcaResult(new double[2], new double[] {1, 2}, id))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("decreasing");
    assertThatThrownBy(() -> new PcaResult(new double[2], new double[] {1, -1}, id))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(">= 0");
    assertThatThrownBy(() -> new PcaResult(new double[2], new double[] {Double.NaN, 1}, id))
        .isInstanceOf(IllegalArgumentException.class);
    // each finite, but their total (which every ratio divides by) is not: NaN ratios
    assertThatThrownBy(() -> new PcaResult(new double[2], new double[] {1e308, 1e308}, id))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("eigenvalues must add up to a finite total, got Infinity");
  }

  @Test
  void resultSurvivesJavaSerialization() throws Exception {
    int d = 6;
    PcaResult pca = Pca.fit(accumulate(d, Reference.correlatedRows(new Random(4), 300, d, 4, 10), 0, 300));
    PcaResult copy = Reference.roundTrip(pca);
    assertThat(copy.dim()).isEqualTo(d);
    assertThat(copy.mean()).containsExactly(pca.mean());
    assertThat(copy.eigenvalues()).containsExactly(pca.eigenvalues());
    assertThat(copy.components(d)).containsExactly(pca.components(d));
    assertThat(copy.cumulativeExplainedVariance()).containsExactly(pca.cumulativeExplainedVariance());
    assertThat(copy.totalVariance()).isEqualTo(pca.totalVariance());
    assertThat(copy.kForVariance(0.9)).isEqualTo(pca.kForVariance(0.9));
  }

  @Test
  void projectChecksLengthsAndWritesOnlyKValues() {
    double[] comps = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    double[] out = {7, 7, 7, 7};
    Pca.project(new double[] {3, 4, 5}, new double[] {1, 1, 1}, comps, 2, out);
    assertThat(out).containsExactly(2, 3, 7, 7);
    Pca.project(new double[] {3, 4, 5}, new double[] {1, 1, 1}, comps, 0, out);
    assertThatThrownBy(() -> Pca.project(new double[3], new double[2], comps, 1, out))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Pca.project(new double[3], new double[3], comps, 4, new double[4]))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Pca.project(new double[3], new double[3], comps, 3, new double[2]))
        .isInstanceOf(IllegalArgumentException.class);
  }

  /**
   * CNN-sized: 3000 rows of 1280 values (64 latent factors plus noise). Prints the time to accumulate and to
   * decompose, for information only; checks the top 50 components are orthonormal and the accumulated
   * covariance against a direct two-pass computation at sampled entries.
   */
  @Test
  void cnnSizedFeatures() {
    Seeded.trials(1, rnd -> {
      int d = 1280;
      int n = 3000;
      int factors = 64;
      double[][] loadings = new double[factors][d];
      for (int m = 0; m < factors; m++) {
        double scale = 3 * Math.pow(0.93, m);
        for (int i = 0; i < d; i++) {
          loadings[m][i] = rnd.nextGaussian() * scale;
        }
      }
      double[][] rows = new double[n][d];
      for (double[] row : rows) {
        for (int i = 0; i < d; i++) {
          row[i] = 0.5 + 0.1 * rnd.nextGaussian(); // ReLU6-like offset plus noise
        }
        for (int m = 0; m < factors; m++) {
          double z = rnd.nextGaussian();
          double[] l = loadings[m];
          for (int i = 0; i < d; i++) {
            row[i] += z * l[i];
          }
        }
      }

      long t0 = System.nanoTime();
      CovarianceAccumulator acc = new CovarianceAccumulator(d);
      for (double[] row : rows) {
        acc.add(row);
      }
      double[] mean = acc.mean(); // folds the last partial block
      long t1 = System.nanoTime();
      PcaResult pca = Pca.fit(acc);
      long t2 = System.nanoTime();
      System.out.printf("PcaTest.cnnSizedFeatures: accumulate %d x %d rows %.0f ms, fit (covariance + eigen) %.0f ms%n",
          n, d, (t1 - t0) / 1e6, (t2 - t1) / 1e6);

      double[] cov = acc.covariance();
      for (int t = 0; t < 40; t++) {
        int i = rnd.nextInt(d);
        int j = t < 10 ? i : rnd.nextInt(d);
        double mi = 0;
        double mj = 0;
        for (double[] row : rows) {
          mi += row[i];
          mj += row[j];
        }
        mi /= n;
        mj /= n;
        double c = 0;
        for (double[] row : rows) {
          c += (row[i] - mi) * (row[j] - mj);
        }
        c /= n - 1;
        assertThat(mean[i]).isCloseTo(mi, within(1e-12 * (1 + Math.abs(mi))));
        assertThat(cov[i * d + j]).as("covariance(%d, %d)", i, j)
            .isCloseTo(c, within(1e-9 * Math.sqrt(cov[i * d + i] * cov[j * d + j])));
      }

      int k = 50;
      double[] v = pca.components(k);
      for (int a = 0; a < k; a++) {
        for (int b = a; b < k; b++) {
          double dot = 0;
          for (int i = 0; i < d; i++) {
            dot += v[a * d + i] * v[b * d + i];
          }
          assertThat(dot).as("v%d·v%d", a, b).isCloseTo(a == b ? 1 : 0, within(1e-9));
        }
      }
      double[] cum = pca.cumulativeExplainedVariance();
      int k95 = pca.kForVariance(0.95);
      assertThat(k95).isBetween(1, factors + 1);
      assertThat(cum[k95 - 1]).isGreaterThanOrEqualTo(0.95 - 1e-12);
      assertThat(pca.eigenvalues()[factors]).isLessThan(pca.eigenvalues()[factors - 1]);
    });
  }

  /** A uniformly random rotation: Gram-Schmidt on a Gaussian matrix. */
  private static double[][] randomRotation(Random rnd, int d) {
    double[][] q = new double[d][d];
    for (int c = 0; c < d; c++) {
      double[] col = new double[d];
      for (int i = 0; i < d; i++) {
        col[i] = rnd.nextGaussian();
      }
      for (int p = 0; p < c; p++) {
        double dot = 0;
        for (int i = 0; i < d; i++) {
          dot += col[i] * q[i][p];
        }
        for (int i = 0; i < d; i++) {
          col[i] -= dot * q[i][p];
        }
      }
      double norm = 0;
      for (double x : col) {
        norm += x * x;
      }
      norm = Math.sqrt(norm);
      for (int i = 0; i < d; i++) {
        q[i][c] = col[i] / norm;
      }
    }
    return q;
  }
}
