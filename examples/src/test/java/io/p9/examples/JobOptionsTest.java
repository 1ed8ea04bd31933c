package io.p9.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class JobOptionsTest {
  @TempDir
  Path dir;

  /**
   * One submit places a local {@code --model} once: the job's {@code --model} argument (computed before the
   * jar upload) and the copy of the model (after it) name the same S3 object, even if the model file is saved
   * again in between; each placement read and hashed the whole model file again.
   */
  @Test
  void oneSubmitPlacesALocalModelOnceEvenIfItsFileChangesMeanwhile() throws Exception {
    Path model = Files.write(dir.resolve("mine.onnx"), new byte[] {1, 2, 3});
    Path sidecar = Files.writeString(dir.resolve("mine.onnx.p9.json"), "{\"version\": 1}");
    JobOptions job = new JobOptions();
    new CommandLine(job).parseArgs("--bucket", "p9-bucket", "--input", "s3://p9-bucket/in", "--model",
        model.toString());
    AwsOptions aws = new AwsOptions();
    new CommandLine(aws).parseArgs();
    List<String> args = job.runArgs(aws);
    String jobReads = args.get(args.indexOf("--model") + 1);
    assertThat(jobReads).matches("s3://p9-bucket/p9/jars/models/[0-9a-f]{12}/mine\\.onnx");

    // saved again while the 38 MB job jar uploads
    Files.write(model, new byte[] {4, 5, 6});
    Files.delete(sidecar);

    assertThat(job.modelTarget().s3Uri()).isEqualTo(jobReads);
    assertThat(job.modelCopies("eu-west-1")).as("the dry run's copies").hasSize(2)
        .allMatch(c -> c.contains(" " + jobReads + " ") || c.contains(" " + jobReads + ".p9.json "));
  }

  /** Another submit (another JobOptions) sees the files as they are then. */
  @Test
  void anotherSubmitPlacesAChangedModelElsewhere() throws Exception {
    Path model = Files.write(dir.resolve("mine.onnx"), new byte[] {1, 2, 3});
    String first = parsed(model).modelTarget().s3Uri();
    Files.write(model, new byte[] {4, 5, 6});
    assertThat(parsed(model).modelTarget().s3Uri()).isNotEqualTo(first).endsWith("/mine.onnx");
  }

  private static JobOptions parsed(Path model) {
    JobOptions job = new JobOptions();
    new CommandLine(job).parseArgs("--bucket", "p9-bucket", "--input", "s3://p9-bucket/in", "--model",
        model.toString());
    return job;
  }
}
