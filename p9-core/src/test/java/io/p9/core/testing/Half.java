package io.p9.core.testing;

/**
 * A reference float → float16 rounding for tests, written from the IEEE 754 definition rather than with bit
 * tricks: the table of every finite non-negative half-precision value, and a search for the nearest one,
 * ties to the one with an even significand (even bits).
 */
public final class Half {
  /** All finite non-negative float16 values, ascending: index = bit pattern 0x0000..0x7bff. */
  private static final float[] POSITIVE = new float[0x7c00];

  static {
    for (int b = 0; b < POSITIVE.length; b++) {
      POSITIVE[b] = value((short) b);
    }
  }

  private Half() {}

  /** The value of the float16 bit pattern {@code bits}. */
  public static float value(short bits) {
    int sign = (bits >> 15) & 1;
    int exponent = (bits >> 10) & 0x1f;
    int significand = bits & 0x3ff;
    float v;
    if (exponent == 0) {
      v = Math.scalb((float) significand, -24); // subnormal: 0.significand x 2^-14
    } else if (exponent == 31) {
      v = significand == 0 ? Float.POSITIVE_INFINITY : Float.NaN;
    } else {
      v = Math.scalb((float) (1024 + significand), exponent - 25); // 1.significand x 2^(exponent - 15)
    }
    return sign == 1 ? -v : v;
  }

  /** The float16 nearest to {@code f}, ties to even; beyond the largest finite value's half-way point, infinity. */
  public static short bits(float f) {
    if (Float.isNaN(f)) {
      return 0x7e00;
    }
    int sign = (Float.floatToRawIntBits(f) >>> 31) << 15;
    double a = Math.abs((double) f);
    // 65504 is the largest finite half; 65520 is half-way to the next power of two, and rounds away (65504
    // has an odd significand)
    if (a >= 65520) {
      return (short) (sign | 0x7c00);
    }
    int lo = 0;
    int hi = POSITIVE.length - 1;
    while (lo < hi) { // the largest index whose value is <= a
      int mid = (lo + hi + 1) >>> 1;
      if (POSITIVE[mid] <= a) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    int chosen = lo;
    if (lo < POSITIVE.length - 1) {
      double below = a - POSITIVE[lo];
      double above = POSITIVE[lo + 1] - a;
      if (above < below || (above == below && (lo & 1) == 1)) {
        chosen = lo + 1;
      }
    }
    return (short) (sign | chosen);
  }

  /** {@code f} rounded to float16 and back. */
  public static float round(float f) {
    return value(bits(f));
  }
}
