package io.p9.examples;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The two plots of the job's report, as self-contained SVG (no plotting library, no fonts to ship): the
 * cumulative explained variance of the PCA, with the chosen k and the variance target, and the images on their
 * first two principal components, one colour per label.
 */
final class RunPlots {
  private static final int W = 640;
  private static final int H = 400;
  private static final int LEFT = 64;
  private static final int RIGHT = 24;
  private static final int TOP = 40;
  private static final int BOTTOM = 52;
  /** Legend rows drawn at most; the rest is summed up in one line. */
  static final int LEGEND_ROWS = 60;
  private static final int LEGEND_W = 220;
  private static final int LEGEND_ROW_H = 14;

  private RunPlots() {}

  /** One image on the first two principal components. */
  record Point(double pc1, double pc2, String label) {}

  /**
   * The cumulative explained variance over all components ({@code cumulative[i]}: the first i + 1), a marker
   * at {@code k}, and a dashed line at {@code target} unless it is NaN (k given rather than chosen).
   */
  static String variance(double[] cumulative, int k, double target, long rows) {
    if (cumulative.length == 0 || k < 1 || k > cumulative.length) {
      throw new IllegalArgumentException("k = " + k + " of " + cumulative.length + " components");
    }
    int n = cumulative.length;
    double plotW = W - LEFT - RIGHT;
    double plotH = H - TOP - BOTTOM;
    // component i (1-based) at x; 1 at the left edge, n at the right
    java.util.function.DoubleUnaryOperator x = i -> LEFT + (n == 1 ? 0 : (i - 1) / (n - 1) * plotW);
    java.util.function.DoubleUnaryOperator y = v -> TOP + (1 - Math.max(0, Math.min(1, v))) * plotH;
    StringBuilder s = header(W, H, "Cumulative explained variance (PCA of " + n + "-d features, " + rows
        + " images)");
    for (double v = 0; v <= 1.0001; v += 0.25) {
      s.append(line(LEFT, y.applyAsDouble(v), W - RIGHT, y.applyAsDouble(v), "#ddd", null));
      s.append(text(LEFT - 6, y.applyAsDouble(v) + 4, "end", fmt("%.0f %%", v * 100)));
    }
    for (long t : ticks(n)) {
      s.append(line(x.applyAsDouble(t), TOP + plotH, x.applyAsDouble(t), TOP + plotH + 4, "#333", null));
      s.append(text(x.applyAsDouble(t), TOP + plotH + 18, "middle", Long.toString(t)));
    }
    s.append(text(LEFT + plotW / 2, H - 12, "middle", "number of components"));
    s.append(axes(plotW, plotH));
    if (!Double.isNaN(target)) {
      s.append(line(LEFT, y.applyAsDouble(target), W - RIGHT, y.applyAsDouble(target), "#c0392b", "6 4"))
          .append(text(W - RIGHT - 4, y.applyAsDouble(target) - 6, "end", fmt("target %.1f %%", target * 100)));
    }
    s.append("<polyline class=\"cumulative\" fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\" points=\"");
    for (int i = 0; i < n; i++) {
      s.append(fmt("%.2f,%.2f ", x.applyAsDouble(i + 1), y.applyAsDouble(cumulative[i])));
    }
    s.append("\"/>\n");
    double kx = x.applyAsDouble(k);
    double ky = y.applyAsDouble(cumulative[k - 1]);
    s.append(line(kx, TOP, kx, TOP + plotH, "#555", "3 3"))
        .append(fmt("<circle class=\"k\" cx=\"%.2f\" cy=\"%.2f\" r=\"4\" fill=\"#c0392b\"/>%n", kx, ky))
        .append(text(Math.min(kx + 8, W - RIGHT - 150), ky + 18, "start",
            fmt("k = %d: %.2f %%", k, cumulative[k - 1] * 100)));
    return s.append("</svg>\n").toString();
  }

  /**
   * The points on their first two principal components, a colour and a legend row per label. A point with a
   * NaN or infinite coordinate has no place on the plot: it is left out, and the title says how many were.
   */
  static String scatter(List<Point> points, long rows) {
    Map<String, String> colours = new TreeMap<>();
    List<Point> drawn = new java.util.ArrayList<>(points.size());
    double minX = Double.POSITIVE_INFINITY;
    double maxX = Double.NEGATIVE_INFINITY;
    double minY = Double.POSITIVE_INFINITY;
    double maxY = Double.NEGATIVE_INFINITY;
    for (Point p : points) {
      if (!Double.isFinite(p.pc1()) || !Double.isFinite(p.pc2())) {
        continue;
      }
      drawn.add(p);
      colours.put(label(p), null);
      minX = Math.min(minX, p.pc1());
      maxX = Math.max(maxX, p.pc1());
      minY = Math.min(minY, p.pc2());
      maxY = Math.max(maxY, p.pc2());
    }
    if (drawn.isEmpty()) {
      minX = maxX = minY = maxY = 0;
    }
    int i = 0;
    for (Map.Entry<String, String> e : colours.entrySet()) {
      e.setValue(colour(i++, colours.size()));
    }
    int legendRows = Math.min(colours.size(), LEGEND_ROWS) + (colours.size() > LEGEND_ROWS ? 1 : 0);
    int h = Math.max(H, TOP + legendRows * LEGEND_ROW_H + 20);
    double plotW = W - LEFT - RIGHT;
    double plotH = h - TOP - BOTTOM;
    double[] xr = padded(minX, maxX);
    double[] yr = padded(minY, maxY);
    String sampled = (points.size() < rows ? ", a sample of " + points.size() : "")
        + (drawn.size() < points.size() ? ", " + (points.size() - drawn.size()) + " not finite, not drawn" : "");
    StringBuilder s = header(W + LEGEND_W, h, "Images on the first two principal components (" + rows
        + " images" + sampled + ")");
    for (double t : niceTicks(xr[0], xr[1])) {
      double tx = LEFT + (t - xr[0]) / (xr[1] - xr[0]) * plotW;
      s.append(line(tx, TOP + plotH, tx, TOP + plotH + 4, "#333", null))
          .append(text(tx, TOP + plotH + 18, "middle", tick(t)));
    }
    for (double t : niceTicks(yr[0], yr[1])) {
      double ty = TOP + (1 - (t - yr[0]) / (yr[1] - yr[0])) * plotH;
      s.append(line(LEFT - 4, ty, LEFT, ty, "#333", null)).append(text(LEFT - 6, ty + 4, "end", tick(t)));
    }
    s.append(axes(plotW, plotH));
    s.append(text(LEFT + plotW / 2, h - 12, "middle", "PC 1"));
    s.append(fmt("<text x=\"16\" y=\"%.2f\" text-anchor=\"middle\" transform=\"rotate(-90 16 %.2f)\">PC 2</text>%n",
        TOP + plotH / 2, TOP + plotH / 2));
    for (Point p : drawn) {
      double px = LEFT + (p.pc1() - xr[0]) / (xr[1] - xr[0]) * plotW;
      double py = TOP + (1 - (p.pc2() - yr[0]) / (yr[1] - yr[0])) * plotH;
      s.append(fmt("<circle cx=\"%.2f\" cy=\"%.2f\" r=\"2.5\" fill=\"%s\" fill-opacity=\"0.8\"><title>%s</title>"
          + "</circle>%n", px, py, colours.get(label(p)), escape(label(p))));
    }
    int row = 0;
    for (Map.Entry<String, String> e : colours.entrySet()) {
      if (row == LEGEND_ROWS) {
        s.append(text(W + 8, TOP + row * LEGEND_ROW_H + 10, "start",
            "… and " + (colours.size() - LEGEND_ROWS) + " more labels"));
        break;
      }
      double ly = TOP + row++ * LEGEND_ROW_H;
      s.append(fmt("<rect class=\"legend\" x=\"%d\" y=\"%.2f\" width=\"10\" height=\"10\" fill=\"%s\"/>%n", W,
          ly, e.getValue()));
      s.append(text(W + 16, ly + 9, "start", e.getKey()));
    }
    return s.append("</svg>\n").toString();
  }

  private static String label(Point p) {
    return p.label() == null ? "(no label)" : p.label();
  }

  /** Evenly spaced hues, alternating two lightnesses so that neighbours in the legend differ more. */
  static String colour(int i, int n) {
    double hue = 360.0 * i / Math.max(1, n);
    return fmt("hsl(%.1f,70%%,%d%%)", hue, i % 2 == 0 ? 42 : 58);
  }

  /**
   * [lo, hi] widened by 5 % on each side; a single value, or a range narrower than a billionth of its values
   * (the same value but for rounding), gets a unit range around it.
   */
  private static double[] padded(double lo, double hi) {
    if (!(hi - lo > 1e-9 * Math.max(Math.abs(lo), Math.abs(hi)))) {
      double mid = lo / 2 + hi / 2;
      return new double[] {mid - 1, mid + 1};
    }
    double pad = (hi - lo) * 0.05;
    return new double[] {lo - pad, hi + pad};
  }

  /** Tick values 1..n: 1, then multiples of a 1/2/5 x 10^m step, at most 8 in all. */
  static long[] ticks(int n) {
    long step = 1;
    // 1, 2, 5, 10, 20, 50, ...: from a 2 x 10^m step the next is 5 x 10^m, from any other twice it
    for (int i = 0; n / step > 7; i++) {
      step = i % 3 == 1 ? step / 2 * 5 : step * 2;
    }
    List<Long> t = new java.util.ArrayList<>();
    t.add(1L);
    for (long v = step; v <= n; v += step) {
      if (v > 1) {
        t.add(v);
      }
    }
    return t.stream().mapToLong(Long::longValue).toArray();
  }

  /**
   * Multiples of a 1/2/5 x 10^m step inside [lo, hi], about five of them (at most 11); none for an empty or
   * non-finite range. Each is a whole multiple of the step, and a step too fine for the values to resolve
   * (a range of a few ulps) ends the ticks rather than adding the same value forever.
   */
  static double[] niceTicks(double lo, double hi) {
    double raw = (hi - lo) / 5;
    if (!(raw > 0) || !Double.isFinite(raw) || !Double.isFinite(lo)) {
      return new double[0];
    }
    double mag = Math.pow(10, Math.floor(Math.log10(raw)));
    double step = raw / mag < 1.5 ? mag : raw / mag < 3.5 ? 2 * mag : raw / mag < 7.5 ? 5 * mag : 10 * mag;
    double first = Math.ceil(lo / step);
    List<Double> t = new java.util.ArrayList<>();
    for (int i = 0; i <= 10; i++) {
      double v = (first + i) * step;
      if (v > hi || (!t.isEmpty() && !(v > t.get(t.size() - 1)))) {
        break;
      }
      t.add(Math.abs(v) < step * 1e-9 ? 0.0 : v);
    }
    return t.stream().mapToDouble(Double::doubleValue).toArray();
  }

  /** A tick value without trailing zeros: 20, -10, 0.012. */
  static String tick(double t) {
    return t == 0 ? "0" : new java.math.BigDecimal(t).round(new java.math.MathContext(6)).stripTrailingZeros()
        .toPlainString();
  }

  private static StringBuilder header(int w, int h, String title) {
    return new StringBuilder()
        .append(fmt("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\""
            + " font-family=\"sans-serif\" font-size=\"11\">%n", w, h, w, h))
        .append(fmt("<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", w, h))
        .append(fmt("<text x=\"%d\" y=\"22\" font-size=\"14\">%s</text>%n", LEFT, escape(title)));
  }

  private static String axes(double plotW, double plotH) {
    return line(LEFT, TOP + plotH, LEFT + plotW, TOP + plotH, "#333", null) + line(LEFT, TOP, LEFT, TOP + plotH,
        "#333", null);
  }

  private static String line(double x1, double y1, double x2, double y2, String stroke, String dash) {
    return fmt("<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"%s\"%s/>%n", x1, y1, x2, y2, stroke,
        dash == null ? "" : " stroke-dasharray=\"" + dash + "\"");
  }

  private static String text(double x, double y, String anchor, String s) {
    return fmt("<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"%s\">%s</text>%n", x, y, anchor, escape(s));
  }

  /**
   * {@code s} as XML text: markup characters escaped, and characters XML 1.0 does not allow (control
   * characters, lone surrogates, U+FFFE/U+FFFF; a folder name may hold them) replaced by U+FFFD.
   */
  static String escape(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean pair = Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
      if (pair) {
        b.append(c).append(s.charAt(++i));
      } else if (c == '&') {
        b.append("&amp;");
      } else if (c == '<') {
        b.append("&lt;");
      } else if (c == '>') {
        b.append("&gt;");
      } else if (c == '"') {
        b.append("&quot;");
      } else if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || Character.isSurrogate(c) || c == 0xFFFE
          || c == 0xFFFF) {
        b.append('\uFFFD');
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }

  private static String fmt(String f, Object... args) {
    return String.format(Locale.ROOT, f, args);
  }
}
