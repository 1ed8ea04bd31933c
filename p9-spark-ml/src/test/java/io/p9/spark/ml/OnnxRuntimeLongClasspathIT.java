package io.p9.spark.ml;

import static org.assertj.core.api.Assertions.assertThat;

import io.p9.core.model.ModelBytes;
import io.p9.core.model.ModelOptions;
import io.p9.core.model.onnx.OnnxFeatureModel;
import io.p9.core.testing.RepoData;
import java.io.File;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * ONNX Runtime 1.29.0 segfaults inside {@code OrtEnvironment.getEnvironment()} when the JVM command line is
 * longer than about 4 KB, as a Spark job's class path is (spark-submit and YARN put it on the command line).
 * Surefire hides the class path in a manifest jar, so this test starts a JVM with the whole Spark test class
 * path spelled out on its command line and runs the model there.
 */
class OnnxRuntimeLongClasspathIT {

  /** The child JVM: open the int8 MobileNetV2 and run one image. */
  public static void main(String[] args) throws Exception {
    ModelBytes mb = ModelBytes.of("m.onnx", Files.readAllBytes(Paths.get(args[0])));
    try (OnnxFeatureModel m = OnnxFeatureModel.open(mb, ModelOptions.defaults())) {
      float[] out = new float[m.info().featureDim()];
      m.run(ByteBuffer.allocateDirect(3 * 224 * 224 * 4).order(ByteOrder.nativeOrder()).asFloatBuffer(), 1,
          out);
      System.out.println("ORT OK features=" + out.length);
    }
  }

  @Test
  void onnxRuntimeStartsUnderASparkSizedCommandLine() throws Exception {
    String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    assertThat(cp.split(File.pathSeparator)).as("the Spark test class path").hasSizeGreaterThan(100);
    List<String> cmd = new ArrayList<>(List.of(
        Paths.get(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m", "-cp", cp,
        OnnxRuntimeLongClasspathIT.class.getName(), RepoData.mobilenet().toString()));
    int length = String.join(" ", cmd).length();
    assertThat(length).as("command line length").isGreaterThan(4096);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    boolean done = p.waitFor(120, TimeUnit.SECONDS);
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!done) {
      p.destroyForcibly();
    }
    System.out.printf("[OnnxRuntimeLongClasspathIT] command line %d chars, exit %s%n", length,
        done ? p.exitValue() : "timeout");
    assertThat(done).as("child finished; output:%n%s", out).isTrue();
    assertThat(p.exitValue()).as("child exit; output:%n%s", out).isZero();
    assertThat(out).contains("ORT OK features=1280");
  }
}
