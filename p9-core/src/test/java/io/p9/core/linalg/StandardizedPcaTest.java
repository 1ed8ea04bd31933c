package io.p9.core.linalg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class StandardizedPcaTest {

  /**
   * The correlation matrix does not depend on each feature's unit, down to features whose variance is
   * subnormal (values about 1e-155, variance about 1e-310): 1 / (std_i std_j) overflowed there, and the fit
   * failed saying the values were too large to square.
   */
  @Test
  void doesNotDependOnTheFeaturesUnitsDownToSubnormalVariances() {
    Seeded.trials(10, rnd -> {
      int d = 2 + rnd.nextInt(5);
      int n = 20 + rnd.nextInt(100);
      double[] units = new double[d];
      for (int j = 0; j < d; j++) {
        units[j] = Math.pow(10, -150 - rnd.nextInt(7));
      }
      CovarianceAccumulator plain = new CovarianceAccumulator(d);
      CovarianceAccumulator tiny = new CovarianceAccumulator(d);
      for (int i = 0; i < n; i++) {
        double common = rnd.nextGaussian();
        double[] x = new double[d];
        double[] y = new double[d];
        for (int j = 0; j < d; j++) {
          x[j] = common * 0.7 + rnd.nextGaussian();
          y[j] = x[j] * units[j];
        }
        plain.add(x);
        tiny.add(y);
      }
      PcaResult expected = Pca.fitStandardized(plain, new double[d]);
      PcaResult got = Pca.fitStandardized(tiny, new double[d]);
      assertThat(got.eigenvalues()).containsExactly(expected.eigenvalues(), within(1e-9));
    });
  }

  /**
   * A feature whose std is at most 2^-52 of the largest std gets the factor 0, as a constant one, whatever the
   * unit of the data (here down to values about 1e-150); one whose std is 8 times that bound keeps 1 / std.
   */
  @Test
  void aStdAtMostEpsilonOfTheLargestIsTakenAsZero() {
    Seeded.trials(10, rnd -> {
      double unit = Math.pow(10, -rnd.nextInt(151));
      double eps = Math.ulp(1.0);
      CovarianceAccumulator acc = new CovarianceAccumulator(3);
      int n = 50 + rnd.nextInt(200);
      double[][] rows = new double[n][];
      for (int i = 0; i < n; i++) {
        double g = rnd.nextGaussian();
        rows[i] = new double[] {rnd.nextGaussian() * unit, g * unit * eps / 2, g * unit * eps * 8};
        acc.add(rows[i]);
      }
      double[] cov = acc.covariance();
      double[] scale = new double[3];
      Pca.fitStandardized(acc, scale);
      assertThat(Math.sqrt(cov[4])).isLessThanOrEqualTo(Math.sqrt(cov[0]) * eps);
      assertThat(scale[1]).as("std %s, largest %s", Math.sqrt(cov[4]), Math.sqrt(cov[0])).isZero();
      assertThat(scale[2]).isEqualTo(1 / Math.sqrt(cov[8]));
      assertThat(scale[0]).isEqualTo(1 / Math.sqrt(cov[0]));
    });
  }

  /** Standardizing then fitting plain PCA equals fitStandardized, for random data with very different scales. */
  @Test
  void equalsPcaOfExplicitlyStandardizedRows() {
    Seeded.trials(20, rnd -> {
      int d = 2 + rnd.nextInt(8);
      int n = 20 + rnd.nextInt(300);
      double[][] rows = new double[n][d];
      double[] scales = new double[d];
      for (int j = 0; j < d; j++) {
        scales[j] = Math.pow(10, rnd.nextInt(7) - 3);
      }
      for (double[] r : rows) {
        double common = rnd.nextGaussian();
        for (int j = 0; j < d; j++) {
          r[j] = (common * 0.7 + rnd.nextGaussian()) * scales[j] + 5 * j;
        }
      }
      if (rnd.nextBoolean()) {
        for (double[] r : rows) {
          r[0] = 3.0; // a constant feature gets scale 0
        }
      }
      CovarianceAccumulator acc = new CovarianceAccumulator(d);
      for (double[] r : rows) {
        acc.add(r);
      }
      double[] scale = new double[d];
      PcaResult std = Pca.fitStandardized(acc, scale);

      double[] mean = acc.mean();
      double[] cov = acc.covariance();
      CovarianceAccumulator manual = new CovarianceAccumulator(d);
      for (double[] r : rows) {
        double[] z = new double[d];
        for (int j = 0; j < d; j++) {
          double sd = Math.sqrt(cov[j * d + j]);
          z[j] = sd > 0 ? (r[j] - mean[j]) / sd : 0;
        }
        manual.add(z);
      }
      PcaResult expected = Pca.fit(manual);
      assertThat(std.eigenvalues()).containsExactly(expected.eigenvalues(), within(1e-9));
      double[] ev = expected.eigenvalues();
      double[] va = std.components(d);
      double[] vb = expected.components(d);
      for (int c = 0; c < d; c++) {
        double gap = Math.min(c > 0 ? ev[c - 1] - ev[c] : Double.MAX_VALUE,
            c < d - 1 ? ev[c] - ev[c + 1] : Double.MAX_VALUE);
        if (gap < 1e-3 || ev[c] < 1e-9) {
          continue; // eigenvectors of (near-)equal eigenvalues are not unique
        }
        double dot = 0;
        for (int i = 0; i < d; i++) {
          dot += va[c * d + i] * vb[c * d + i];
        }
        assertThat(Math.abs(dot)).as("component %d", c).isCloseTo(1.0, within(1e-6));
      }
      double sum = 0;
      for (double e : std.eigenvalues()) {
        sum += e;
      }
      long nonConstant = java.util.Arrays.stream(scale).filter(s -> s > 0).count();
      assertThat(sum).as("trace of a correlation matrix = non-constant features").isCloseTo(nonConstant,
          within(1e-9));
    });
  }
}
