package io.p9.core.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.junit.jupiter.api.Test;

class LayoutsTest {
  private static final long BASE_SEED = 0x9A7E_0001L;

  @Test
  void nchwToNhwcMovesEachValueToItsChannelsLastPosition() {
    // n=1, c=2, h=1, w=3: planes [0 1 2] and [10 11 12] interleave to 0 10 1 11 2 12.
    float[] nchw = {0, 1, 2, 10, 11, 12};
    assertThat(Layouts.nchwToNhwc(nchw, 1, 2, 1, 3)).containsExactly(0, 10, 1, 11, 2, 12);
    assertThat(Layouts.nhwcToNchw(new float[] {0, 10, 1, 11, 2, 12}, 1, 2, 1, 3)).containsExactly(nchw);
  }

  @Test
  void roundTripsAreTheIdentityOnRandomShapes() {
    for (int i = 0; i < 200; i++) {
      long seed = BASE_SEED + i;
      Random rnd = new Random(seed);
      int n = rnd.nextInt(4);
      int c = 1 + rnd.nextInt(4);
      int h = 1 + rnd.nextInt(9);
      int w = 1 + rnd.nextInt(9);
      float[] x = new float[n * c * h * w];
      for (int k = 0; k < x.length; k++) {
        x[k] = rnd.nextFloat();
      }
      String why = "seed " + seed + " shape [" + n + "," + c + "," + h + "," + w + "]";
      float[] nhwc = Layouts.nchwToNhwc(x, n, c, h, w);
      assertThat(Layouts.nhwcToNchw(nhwc, n, c, h, w)).as(why).containsExactly(x);
      float[] nchw = Layouts.nhwcToNchw(x, n, c, h, w);
      assertThat(Layouts.nchwToNhwc(nchw, n, c, h, w)).as(why).containsExactly(x);
      if (n > 0) {
        int b = rnd.nextInt(n);
        int y = rnd.nextInt(h);
        int xx = rnd.nextInt(w);
        int ch = rnd.nextInt(c);
        float v = x[((b * c + ch) * h + y) * w + xx];
        assertThat(nhwc[((b * h + y) * w + xx) * c + ch]).as(why).isEqualTo(v);
      }
    }
  }

  @Test
  void sliceReturnsOneItemOfTheBatch() {
    float[] batch = {1, 2, 3, 4, 5, 6};
    assertThat(Layouts.slice(batch, 0, 2)).containsExactly(1, 2);
    assertThat(Layouts.slice(batch, 2, 2)).containsExactly(5, 6);
    assertThatThrownBy(() -> Layouts.slice(batch, 3, 2)).isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> Layouts.slice(batch, 0, 0)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void rejectsAnArrayThatDoesNotMatchTheShape() {
    assertThatThrownBy(() -> Layouts.nchwToNhwc(new float[5], 1, 3, 1, 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("needs 6");
  }
}
