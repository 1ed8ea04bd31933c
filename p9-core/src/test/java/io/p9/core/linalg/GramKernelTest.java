package io.p9.core.linalg;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class GramKernelTest {

  /** C += AᵀA on the upper triangle, against the triple loop, for tile widths that cut d in every way. */
  @Test
  void matchesNaiveProductForAllShapesAndTiles() {
    Seeded.trials(200, rnd -> {
      int rows = 1 + rnd.nextInt(20);
      int d = 1 + rnd.nextInt(45);
      int tile = 4 * (1 + rnd.nextInt(12));
      double[] a = new double[rows * d];
      for (int i = 0; i < a.length; i++) {
        a[i] = rnd.nextGaussian();
      }
      double[][] c = new double[d][];
      double[][] expected = new double[d][d];
      for (int i = 0; i < d; i++) {
        c[i] = new double[d - i];
        for (int j = i; j < d; j++) {
          double start = rnd.nextGaussian();
          c[i][j - i] = start;
          expected[i][j] = start;
          for (int k = 0; k < rows; k++) {
            expected[i][j] += a[k * d + i] * a[k * d + j];
          }
        }
      }
      GramKernel.addUpperGram(a, rows, d, c, tile);
      for (int i = 0; i < d; i++) {
        for (int j = i; j < d; j++) {
          double got = c[i][j - i];
          if (Math.abs(got - expected[i][j]) > 1e-12 * (1 + Math.abs(expected[i][j]))) {
            throw new AssertionError("rows=" + rows + " d=" + d + " tile=" + tile + ": C(" + i + ", " + j + ") = "
                + got + ", expected " + expected[i][j]);
          }
        }
      }
    });
  }

  /** The production tile (256) with d across a tile boundary and not a multiple of 4. */
  @Test
  void matchesNaiveProductAcrossTheDefaultTile() {
    Seeded.trials(2, rnd -> {
      int rows = 9;
      int d = 2 * GramKernel.TILE + 3;
      double[] a = new double[rows * d];
      for (int i = 0; i < a.length; i++) {
        a[i] = rnd.nextGaussian();
      }
      double[][] c = new double[d][];
      for (int i = 0; i < d; i++) {
        c[i] = new double[d - i];
      }
      GramKernel.addUpperGram(a, rows, d, c);
      for (int i = 0; i < d; i++) {
        for (int j = i; j < d; j++) {
          double e = 0;
          for (int k = 0; k < rows; k++) {
            e += a[k * d + i] * a[k * d + j];
          }
          if (Math.abs(c[i][j - i] - e) > 1e-12 * (1 + Math.abs(e))) {
            throw new AssertionError("C(" + i + ", " + j + ") = " + c[i][j - i] + ", expected " + e);
          }
        }
      }
    });
  }

  @Test
  void rejectsATileThatIsNotAMultipleOfFour() {
    assertThatThrownBy(() -> GramKernel.addUpperGram(new double[4], 1, 4, new double[4][4], 6))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("6");
  }
}
