package io.p9.core.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Decodes the real Fruits-360 sample committed under {@code data/} (240 JPEGs, 100x100, white ground). */
class FruitsSampleTest {

  /**
   * The repository root: the {@code p9.repo.root} system property (surefire sets it), else the nearest
   * folder at or above the working directory holding both {@code data/} and {@code pom.xml}.
   */
  static Path repoRoot() {
    String prop = System.getProperty("p9.repo.root");
    if (prop != null && !prop.isBlank() && Files.isDirectory(Path.of(prop, "data"))) {
      return Path.of(prop);
    }
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isDirectory(p.resolve("data")) && Files.isRegularFile(p.resolve("pom.xml"))) {
        return p;
      }
    }
    return fail("cannot find the repository root (set -Dp9.repo.root); p9.repo.root=" + prop
        + ", working directory " + Path.of("").toAbsolutePath());
  }

  @Test
  void everySampleJpegDecodesTo100x100BgrWithAWhiteBackground() throws IOException, ImageDecodeException {
    Path training = repoRoot().resolve("data/fruits360-sample/Training");
    List<Path> files;
    try (Stream<Path> s = Files.walk(training)) {
      files = s.filter(p -> p.getFileName().toString().endsWith(".jpg")).sorted()
          .collect(Collectors.toList());
    }
    assertThat(files).hasSize(240);
    ImageDecoder decoder = new ImageDecoder(DecodeOptions.defaults());
    Preprocessor mobilenet = new Preprocessor(PreprocessSpec.preset("mobilenet", 224));
    float[] input = new float[mobilenet.spec().floatsPerImage()];
    for (Path file : files) {
      byte[] bytes = Files.readAllBytes(file);
      assertThat(ImageDecoder.sniff(bytes)).as(file.toString()).isEqualTo(ImageFormat.JPEG);
      assertThat(JpegTables.defined(bytes)).as("%s defines its tables (keeps the decoder's readers)", file).isTrue();
      PixelImage img = decoder.decode(bytes);
      assertThat(img.width()).as(file.toString()).isEqualTo(100);
      assertThat(img.height()).as(file.toString()).isEqualTo(100);
      assertThat(img.channels()).as(file.toString()).isEqualTo(3);
      for (int[] corner : new int[][] {{0, 0}, {99, 0}, {0, 99}, {99, 99}}) {
        for (int c = 0; c < 3; c++) {
          assertThat(TestImages.at(img, corner[0], corner[1], c))
              .as("%s corner (%d,%d) channel %d", file, corner[0], corner[1], c)
              .isGreaterThanOrEqualTo(230);
        }
      }
      mobilenet.pack(img, input, 0);
      for (float v : input) {
        assertThat(v).as(file.toString()).isBetween(-1.0001f, 1.0001f);
      }
    }
  }
}
