package io.p9.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p9.aws.s3.S3Location;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The job's name is one both an EMR step and an EMR Serverless job run take. */
class SparkJobTest {
  private static SparkJob named(String name) {
    return new SparkJob(name, S3Location.parse("s3://p9-bucket/j.jar"), "C", List.of(), Map.of());
  }

  @Test
  void theNameIsOneAStepAndAJobRunTake() {
    // EMR StepConfig Name: up to 256 characters XML allows; EMR Serverless StartJobRun name: 1 to 256, .*\S.*
    for (String bad : new String[] {"", "   ", "n".repeat(257), "p9\u0007fruits"}) {
      assertThatThrownBy(() -> named(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("job name '" + bad + "' (" + bad.length() + " characters) is refused by AWS: it"
              + " takes 1 to 256 characters, not all white space, with no control characters but tabs and line breaks");
    }
    for (String good : new String[] {"p9 fruits", "n".repeat(256), "p9 \u00e9t\u00e9 #1\ttab"}) {
      assertThat(named(good).name()).isEqualTo(good);
    }
  }
}
