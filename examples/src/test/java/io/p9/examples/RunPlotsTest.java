package io.p9.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

class RunPlotsTest {

  /** Parses {@code svg} as XML (fails on anything not well-formed) and returns it. */
  static Document parse(String svg) throws Exception {
    DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
    f.setNamespaceAware(true);
    Document d = f.newDocumentBuilder().parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
    assertThat(d.getDocumentElement().getLocalName()).isEqualTo("svg");
    return d;
  }

  static List<String> texts(Document d) {
    NodeList n = d.getElementsByTagName("text");
    List<String> t = new ArrayList<>();
    for (int i = 0; i < n.getLength(); i++) {
      t.add(n.item(i).getTextContent());
    }
    return t;
  }

  static Element byClass(Document d, String tag, String cls) {
    NodeList n = d.getElementsByTagName(tag);
    for (int i = 0; i < n.getLength(); i++) {
      Element e = (Element) n.item(i);
      if (cls.equals(e.getAttribute("class"))) {
        return e;
      }
    }
    throw new AssertionError("no <" + tag + " class=" + cls + ">");
  }

  static double[] cumulative(int n, long seed) {
    Random r = new Random(seed);
    double[] ev = new double[n];
    double total = 0;
    for (int i = 0; i < n; i++) {
      ev[i] = Math.exp(-i / 10.0) * (0.5 + r.nextDouble());
      total += ev[i];
    }
    double[] c = new double[n];
    double run = 0;
    for (int i = 0; i < n; i++) {
      run += ev[i] / total;
      c[i] = run;
    }
    return c;
  }

  @Test
  void varianceDrawsEveryComponentMarksKAndTheTarget() throws Exception {
    double[] c = cumulative(1280, 1L);
    Document d = parse(RunPlots.variance(c, 37, 0.95, 2940));
    String[] pts = byClass(d, "polyline", "cumulative").getAttribute("points").trim().split(" ");
    assertThat(pts).hasSize(1280);
    // increasing x, and y falls (SVG y grows downwards) as the cumulative variance grows
    for (int i = 1; i < pts.length; i++) {
      assertThat(Double.parseDouble(pts[i].split(",")[0])).isGreaterThan(Double.parseDouble(pts[i - 1].split(",")[0]));
      assertThat(Double.parseDouble(pts[i].split(",")[1])).isLessThanOrEqualTo(Double.parseDouble(pts[i - 1].split(",")[1]));
    }
    // the k marker sits on the curve's 37th point
    Element k = byClass(d, "circle", "k");
    assertThat(k.getAttribute("cx") + "," + k.getAttribute("cy")).isEqualTo(pts[36]);
    assertThat(texts(d)).contains(String.format(java.util.Locale.ROOT, "k = 37: %.2f %%", c[36] * 100),
        "target 95.0 %", "number of components", "1", "200", "1200");
    assertThat(texts(d).get(0)).contains("1280-d", "2940 images");
  }

  @Test
  void aGivenKHasNoTargetLine() throws Exception {
    Document d = parse(RunPlots.variance(cumulative(50, 2L), 3, Double.NaN, 10));
    assertThat(texts(d)).noneMatch(t -> t.startsWith("target"));
    assertThat(byClass(d, "polyline", "cumulative").getAttribute("points").trim().split(" ")).hasSize(50);
  }

  @Test
  void varianceRefusesAKOutsideTheComponents() {
    assertThatThrownBy(() -> RunPlots.variance(new double[] {0.5, 1}, 3, 0.9, 2))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("k = 3 of 2");
    assertThatThrownBy(() -> RunPlots.variance(new double[] {0.5, 1}, 0, 0.9, 2))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void ticksAreOneThenRoundSteps() {
    assertThat(RunPlots.ticks(1)).containsExactly(1);
    assertThat(RunPlots.ticks(7)).containsExactly(1, 2, 3, 4, 5, 6, 7);
    assertThat(RunPlots.ticks(20)).containsExactly(1, 5, 10, 15, 20);
    assertThat(RunPlots.ticks(1280)).containsExactly(1, 200, 400, 600, 800, 1000, 1200);
    assertThat(RunPlots.ticks(239)).containsExactly(1, 50, 100, 150, 200);
  }

  @Test
  void niceTicksAreRoundStepsInsideTheRange() {
    assertThat(RunPlots.niceTicks(-1.3, 4.2)).containsExactly(-1, 0, 1, 2, 3, 4);
    assertThat(RunPlots.niceTicks(-42, 57)).containsExactly(-40, -20, 0, 20, 40);
    assertThat(RunPlots.niceTicks(0.011, 0.019)).containsExactly(new double[] {0.012, 0.014, 0.016, 0.018},
        org.assertj.core.data.Offset.offset(1e-12));
    assertThat(RunPlots.tick(20)).isEqualTo("20");
    assertThat(RunPlots.tick(-10)).isEqualTo("-10");
    assertThat(RunPlots.tick(0.012 + 0.002 * 3)).isEqualTo("0.018");
  }

  @Test
  void scatterDrawsEveryPointInItsLabelsColourWithALegend() throws Exception {
    List<RunPlots.Point> pts = List.of(new RunPlots.Point(-1, 2, "Apple <Red> & co"),
        new RunPlots.Point(3, -4, "Banana"), new RunPlots.Point(0.5, 0.5, "Apple <Red> & co"),
        new RunPlots.Point(1, 1, null));
    Document d = parse(RunPlots.scatter(pts, 4));
    NodeList circles = d.getElementsByTagName("circle");
    assertThat(circles.getLength()).isEqualTo(4);
    NodeList legend = d.getElementsByTagName("rect");
    List<Element> swatches = new ArrayList<>();
    for (int i = 0; i < legend.getLength(); i++) {
      if ("legend".equals(((Element) legend.item(i)).getAttribute("class"))) {
        swatches.add((Element) legend.item(i));
      }
    }
    assertThat(swatches).hasSize(3);
    assertThat(texts(d)).contains("Apple <Red> & co", "Banana", "(no label)", "PC 1", "PC 2");
    // the two apples share a colour, the banana has another; the extremes sit on the plot's padded edges
    Element a0 = (Element) circles.item(0);
    Element b = (Element) circles.item(1);
    Element a1 = (Element) circles.item(2);
    assertThat(a0.getAttribute("fill")).isEqualTo(a1.getAttribute("fill")).isNotEqualTo(b.getAttribute("fill"));
    assertThat(Double.parseDouble(a0.getAttribute("cx"))).isLessThan(Double.parseDouble(b.getAttribute("cx")));
    assertThat(Double.parseDouble(a0.getAttribute("cy"))).isLessThan(Double.parseDouble(b.getAttribute("cy")));
    assertThat(a0.getElementsByTagName("title").item(0).getTextContent()).isEqualTo("Apple <Red> & co");
    assertThat(texts(d).get(0)).contains("4 images").doesNotContain("sample");
  }

  @Test
  void manyLabelsGetAShortenedLegendAndASampleSaysSo() throws Exception {
    List<RunPlots.Point> pts = new ArrayList<>();
    for (int i = 0; i < 75; i++) {
      pts.add(new RunPlots.Point(i, i % 7, String.format("v%02d", i)));
    }
    Document d = parse(RunPlots.scatter(pts, 10_000));
    assertThat(texts(d)).contains("… and 15 more labels", "v00", "v59").doesNotContain("v60");
    assertThat(texts(d).get(0)).contains("10000 images, a sample of 75");
    assertThat(RunPlots.colour(0, 75)).isNotEqualTo(RunPlots.colour(1, 75));
  }

  @Test
  void labelsWithCharactersXmlForbidsStillGiveAWellFormedSvg() throws Exception {
    String odd = "bell\u0007 nul\u0000 lone\uD800 pair\uD83C\uDF4E";
    Document d = parse(RunPlots.scatter(List.of(new RunPlots.Point(0, 0, odd), new RunPlots.Point(1, 1, "b")), 2));
    assertThat(texts(d)).contains("bell\uFFFD nul\uFFFD lone\uFFFD pair\uD83C\uDF4E");
  }

  @Test
  void aSinglePointStillHasARange() throws Exception {
    Document d = parse(RunPlots.scatter(List.of(new RunPlots.Point(2, 2, "x")), 1));
    Element c = (Element) d.getElementsByTagName("circle").item(0);
    assertThat(Double.parseDouble(c.getAttribute("cx"))).isFinite();
    assertThat(Double.parseDouble(c.getAttribute("cy"))).isFinite();
  }

  /**
   * Coordinates a few ulps apart (a sample of near-identical images) give a range narrower than the tick step
   * can resolve: the ticks must still end, and the points still land inside the plot.
   */
  @Test
  void aRangeOfAFewUlpsStillEnds() throws Exception {
    double lo = 3.0;
    double hi = Math.nextUp(Math.nextUp(lo));
    double[] t = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(10),
        () -> RunPlots.niceTicks(lo, hi));
    assertThat(t.length).isLessThanOrEqualTo(12);
    String svg = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(10),
        () -> RunPlots.scatter(List.of(new RunPlots.Point(lo, 1, "a"), new RunPlots.Point(hi, 2, "b")), 2));
    NodeList circles = parse(svg).getElementsByTagName("circle");
    assertThat(circles.getLength()).isEqualTo(2);
    for (int i = 0; i < 2; i++) {
      assertThat(Double.parseDouble(((Element) circles.item(i)).getAttribute("cx"))).isFinite();
    }
  }

  /**
   * A point with a NaN or infinite coordinate cannot be placed: it is left out and counted in the title,
   * and the others keep a finite range (one NaN made every min/max, so every point, NaN).
   */
  @Test
  void pointsThatAreNotFiniteAreLeftOutAndCounted() throws Exception {
    List<RunPlots.Point> pts = List.of(new RunPlots.Point(Double.NaN, 1, "a"), new RunPlots.Point(1, 2, "b"),
        new RunPlots.Point(3, Double.POSITIVE_INFINITY, "c"), new RunPlots.Point(2, 0, "a"));
    String svg = RunPlots.scatter(pts, 4);
    assertThat(svg).doesNotContain("NaN").doesNotContain("Infinity");
    Document d = parse(svg);
    NodeList circles = d.getElementsByTagName("circle");
    assertThat(circles.getLength()).isEqualTo(2);
    for (int i = 0; i < 2; i++) {
      Element c = (Element) circles.item(i);
      assertThat(Double.parseDouble(c.getAttribute("cx"))).isBetween(64.0, 640.0 - 24);
      assertThat(Double.parseDouble(c.getAttribute("cy"))).isBetween(40.0, 400.0 - 52);
    }
    assertThat(texts(d).get(0)).contains("4 images", "2 not finite, not drawn");
    assertThat(parse(RunPlots.scatter(List.of(new RunPlots.Point(Double.NaN, 0, "a")), 1))
        .getElementsByTagName("circle").getLength()).isZero();
  }
}
