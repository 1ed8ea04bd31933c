package io.p9.core.model.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import io.p9.core.testing.Half;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link InputTensor#toFloat16} against {@link Half}, a reference that searches the table of every float16
 * value: seeded random floats over the whole float16 range and beyond, every exact tie between neighbouring
 * float16 values, and the edges.
 */
class Float16ConversionTest {

  private static void assertMatchesReference(float[] values, String what) {
    ShortBuffer dst = ShortBuffer.allocate(values.length);
    InputTensor.toFloat16(FloatBuffer.wrap(values), dst);
    for (int i = 0; i < values.length; i++) {
      short want = Half.bits(values[i]);
      if (Float.isNaN(values[i])) {
        assertThat(Float.isNaN(Half.value(dst.get(i)))).as("%s: NaN stays NaN", what).isTrue();
        continue;
      }
      assertThat(Integer.toHexString(dst.get(i) & 0xffff)).as("%s: %s (%s)", what, values[i],
          Float.toHexString(values[i])).isEqualTo(Integer.toHexString(want & 0xffff));
    }
  }

  @Test
  void randomFloatsRoundToTheNearestFloat16() {
    long seed = 20261205L;
    Random r = new Random(seed);
    float[] values = new float[200_000];
    for (int i = 0; i < values.length; i++) {
      // exponents from 2^-30 (below the smallest subnormal) to 2^17 (beyond the largest finite value)
      values[i] = (float) ((r.nextBoolean() ? -1 : 1) * Math.scalb(1 + r.nextDouble(), r.nextInt(48) - 30));
    }
    assertMatchesReference(values, "seed " + seed);
  }

  @Test
  void everyTieRoundsToTheEvenNeighbour() {
    // the midpoint of each pair of neighbouring finite float16 values (exact in float: 12 significant bits)
    float[] ties = new float[2 * 0x7bff];
    for (int b = 0; b < 0x7bff; b++) {
      float mid = (Half.value((short) b) + Half.value((short) (b + 1))) / 2;
      ties[2 * b] = mid;
      ties[2 * b + 1] = -mid;
    }
    assertMatchesReference(ties, "ties");
    assertThat(Half.bits(1f + 0x1p-11f)).as("1 + half an ulp: down to 1.0").isEqualTo((short) 0x3c00);
    assertThat(Half.bits(1f + 0x3p-11f)).as("1 + 1.5 ulp: up to the even 1 + 2 ulp").isEqualTo((short) 0x3c02);
  }

  @Test
  void edges() {
    float[] edges = {0f, -0f, 65504f, -65504f, 65519.996f, 65520f, 1e6f, Float.MAX_VALUE, Float.POSITIVE_INFINITY,
        Float.NEGATIVE_INFINITY, Float.NaN, 0x1p-24f, 0x1p-25f, 0x1.8p-25f, 0x1p-26f, Float.MIN_VALUE, 0x1p-14f,
        0x1.ff8p-15f, 255f, 2.117904f, -2.117904f};
    assertMatchesReference(edges, "edges");
    assertThat(Half.bits(65520f)).isEqualTo((short) 0x7c00);
    assertThat(Half.bits(65519.996f)).isEqualTo((short) 0x7bff);
    assertThat(Half.bits(0x1p-25f)).as("half the smallest subnormal: to zero").isEqualTo((short) 0);
  }
}
