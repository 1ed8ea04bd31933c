package io.p9.core.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.DataBuffer;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.File;
import java.lang.reflect.InvocationTargetException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.imageio.spi.IIORegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * p9 on a class loader that ImageIO's registry was not built from: a jar added to a running Spark executor
 * or notebook after something else used ImageIO, as {@code spark.addJar} or a Livy/EMR Studio session does.
 * The JDK has a JPEG reader of its own, so TwelveMonkeys' (CMYK/YCCK) must still be found. Runs in a JVM
 * whose application class path holds only the test classes; p9-core and its libraries are on a child loader.
 */
class ImageDecoderClassLoaderTest {

  /** The child JVM: use ImageIO first, then decode the file with an ImageDecoder from a separate loader. */
  public static void main(String[] args) throws Exception {
    IIORegistry.getDefaultInstance();
    List<URL> urls = new ArrayList<>();
    for (String e : args[1].split(File.pathSeparator)) {
      urls.add(Paths.get(e).toUri().toURL());
    }
    try (URLClassLoader p9 = new URLClassLoader(urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader())) {
      // As on a Spark task thread: the context class loader sees the added jars.
      Thread.currentThread().setContextClassLoader(p9);
      Class<?> decoder = Class.forName("io.p9.core.image.ImageDecoder", true, p9);
      Object d = decoder.getConstructor().newInstance();
      try {
        Object img = decoder.getMethod("decode", byte[].class).invoke(d, Files.readAllBytes(Paths.get(args[0])));
        System.out.println("DECODED " + img.getClass().getMethod("width").invoke(img) + "x"
            + img.getClass().getMethod("height").invoke(img) + " "
            + Base64.getEncoder().encodeToString((byte[]) img.getClass().getMethod("data").invoke(img)));
      } catch (InvocationTargetException e) {
        System.out.println("FAILED " + e.getCause());
      }
    }
  }

  @Test
  void cmykJpegDecodesWhenImageIoWasFirstUsedOnAnotherClassLoader(@TempDir Path dir) throws Exception {
    WritableRaster r = Raster.createInterleavedRaster(DataBuffer.TYPE_BYTE, 64, 16, 4, null);
    for (int y = 0; y < 16; y++) {
      for (int x = 0; x < 64; x++) {
        r.setPixel(x, y, new int[] {255 - x, 255, 128, 255 - y});
      }
    }
    Path jpeg = dir.resolve("cmyk.jpg");
    Files.write(jpeg, EncodedFixtures.withAdobeMarker(EncodedFixtures.jpegOfRaster(r), 0));
    String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    String testClasses = Paths.get(ImageDecoderClassLoaderTest.class.getProtectionDomain().getCodeSource()
        .getLocation().toURI()).toString();
    Process p = new ProcessBuilder(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-cp", testClasses, ImageDecoderClassLoaderTest.class.getName(), jpeg.toString(), cp)
        .redirectErrorStream(true).start();
    boolean done = p.waitFor(120, TimeUnit.SECONDS);
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!done) {
      p.destroyForcibly();
    }
    assertThat(done).as("child finished; output:%n%s", out).isTrue();
    assertThat(p.exitValue()).as("child exit; output:%n%s", out).isZero();
    // The same pixels as here, where TwelveMonkeys' reader is on the class path ImageIO scanned.
    PixelImage here = new ImageDecoder().decode(Files.readAllBytes(jpeg));
    assertThat(out.lines().filter(l -> l.startsWith("DECODED ") || l.startsWith("FAILED ")))
        .as("child output:%n%s", out)
        .containsExactly("DECODED 64x16 " + Base64.getEncoder().encodeToString(here.data()));
  }
}
