package io.p9.core.model.dl4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.bytedeco.hdf5.global.hdf5.H5F_ACC_RDONLY;

import io.p9.core.model.ModelBytes;
import io.p9.core.model.ModelException;
import io.p9.core.model.ModelOptions;
import io.p9.core.testing.Fixtures;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.bytedeco.hdf5.H5File;
import org.deeplearning4j.nn.modelimport.keras.Hdf5Archive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Keras .h5 the HDF5 library cannot read is refused in one clean line: the library's own diagnostic dump
 * ({@code HDF5-DIAG: Error detected in HDF5 ...}), which it writes to the process's native stderr, stays off
 * while p9 reads the file, and is back on after. Native output does not go through {@code System.err}, so the
 * loads run in a child JVM whose stderr this test reads.
 */
class KerasH5StderrTest {
  /** What the child prints to stderr between p9's loads and its own read of a damaged file. */
  static final String MARK = "P9-MARK: p9's loads are done";

  /**
   * The child: loads each {@code .h5} given with the dl4j backend (stdout: {@code REFUSED <name>} for each
   * ModelException), prints {@link #MARK} to stderr, then opens the first file with the HDF5 library itself.
   */
  public static void main(String[] args) throws Exception {
    for (String a : args) {
      Path p = Paths.get(a);
      try {
        new Dl4jBackend().load(ModelBytes.of(p.getFileName().toString(), Files.readAllBytes(p)),
            ModelOptions.defaults()).close();
        System.out.println("LOADED " + p.getFileName());
      } catch (ModelException e) {
        System.out.println("REFUSED " + p.getFileName());
      }
    }
    System.err.println(MARK);
    System.err.flush();
    synchronized (Hdf5Archive.LOCK_OBJECT) {
      try {
        new H5File(args[0], H5F_ACC_RDONLY());
      } catch (RuntimeException e) {
        System.out.println("HDF5 " + e.getMessage());
      }
    }
  }

  @Test
  void aDamagedH5IsRefusedWithoutTheHdf5LibrarysDumpOnStderr(@TempDir Path dir) throws Exception {
    byte[] whole = Fixtures.bytes("tiny_seq.h5");
    byte[] damaged = whole.clone();
    for (int i = 2000; i < damaged.length; i += 7) {
      damaged[i] = (byte) 0xAB;
    }
    Path cut = Files.write(dir.resolve("cut.h5"), Arrays.copyOf(whole, 3000));
    Path bad = Files.write(dir.resolve("damaged.h5"), damaged);
    String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    Process p = new ProcessBuilder(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx512m", "-cp", cp, KerasH5StderrTest.class.getName(), cut.toString(), bad.toString()).start();
    CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
    String out = read(p.getInputStream());
    boolean done = p.waitFor(180, TimeUnit.SECONDS);
    if (!done) {
      p.destroyForcibly();
    }
    String stderr = err.get(30, TimeUnit.SECONDS);
    assertThat(done).as("child finished; stdout:%n%s%nstderr:%n%s", out, stderr).isTrue();
    assertThat(p.exitValue()).as("child exit; stderr:%n%s", stderr).isZero();
    assertThat(out.lines()).as(stderr).containsExactly("REFUSED cut.h5", "REFUSED damaged.h5", "HDF5 H5Fopen failed");
    assertThat(stderr).contains(MARK);
    String during = stderr.substring(0, stderr.indexOf(MARK));
    String after = stderr.substring(stderr.indexOf(MARK));
    assertThat(during).as("stderr while p9 read the files").doesNotContain("HDF5-DIAG");
    assertThat(after).as("stderr after: the library prints again").contains("HDF5-DIAG: Error detected");
  }

  private static String read(InputStream in) {
    try {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
