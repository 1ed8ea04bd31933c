package io.p9.aws.serverless;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p9.aws.SparkJob;
import io.p9.aws.s3.S3Location;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.emrserverless.model.CreateApplicationRequest;

/** The values EMR Serverless checks, checked before a request is built: capacity, auto-stop, run timeout. */
class ServerlessSpecTest {
  private static ServerlessSpec.Builder spec() {
    return ServerlessSpec.builder().executionRoleArn("arn:aws:iam::123456789012:role/p9-serverless-job")
        .logUri(S3Location.parse("s3://p9-bucket/serverless-logs"));
  }

  private static CreateApplicationRequest create(ServerlessSpec s) {
    return ServerlessRequests.createApplication(s, "tok");
  }

  @Test
  void maximumCapacityNeedsCpuAndMemoryTogether() {
    assertThatThrownBy(() -> spec().maxCapacity("32 vCPU", null).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maximum capacity needs both cpu and memory (--max-cpu and --max-memory");
    assertThatThrownBy(() -> spec().maxCapacity(null, "128 GB").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maximum capacity needs both cpu and memory");
    assertThatThrownBy(() -> spec().maxCapacity(" ", "128 GB").build())
        .isInstanceOf(IllegalArgumentException.class);

    CreateApplicationRequest both = create(spec().maxCapacity("32 vCPU", "128 GB").build());
    assertThat(both.maximumCapacity().cpu()).isEqualTo("32 vCPU");
    assertThat(both.maximumCapacity().memory()).isEqualTo("128 GB");
    assertThat(create(spec().build()).maximumCapacity()).as("no limit").isNull();
  }

  @Test
  void theMaximumCapacityIsWrittenAsEmrServerlessTakesIt() {
    // MaximumAllowedResources: cpu [1-9][0-9]*(\s)?(vCPU|vcpu|VCPU)?, memory [1-9][0-9]*(\s)?(GB|gb|gB|Gb)?,
    // each 1 to 15 characters
    for (String cpu : new String[] {"32 vCPUs", "4 cpu", "0", "1.5 vCPU", "32  vCPU", "1234567890123 vCPU"}) {
      assertThatThrownBy(() -> spec().maxCapacity(cpu, "128 GB").build()).as(cpu)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("maximum cpu '" + cpu + "'").hasMessageContaining("e.g. '32 vCPU'");
    }
    for (String memory : new String[] {"128 GiB", "128GB ", "128 MB", "0 GB", "1.5 GB"}) {
      assertThatThrownBy(() -> spec().maxCapacity("32 vCPU", memory).build()).as(memory)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("maximum memory '" + memory + "'").hasMessageContaining("e.g. '128 GB'");
    }
    for (String[] ok : new String[][] {{"32", "128"}, {"32vCPU", "128GB"}, {"4 vcpu", "16 gb"}, {"4 VCPU", "16 Gb"}}) {
      CreateApplicationRequest r = create(spec().maxCapacity(ok[0], ok[1]).build());
      assertThat(r.maximumCapacity().cpu() + "/" + r.maximumCapacity().memory()).isEqualTo(ok[0] + "/" + ok[1]);
    }
  }

  @Test
  void idleStopIsAtLeastOneMinuteInWholeMinutesRoundedUp() {
    for (Duration d : new Duration[] {Duration.ofSeconds(30), Duration.ZERO, Duration.ofSeconds(59),
        Duration.ofDays(7).plusMinutes(1)}) {
      assertThatThrownBy(() -> spec().idleStop(d).build()).as(d.toString())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("idle stop must be between 1 minute and 7 days");
    }
    assertThat(create(spec().idleStop(Duration.ofMinutes(1)).build()).autoStopConfiguration().idleTimeoutMinutes())
        .isEqualTo(1);
    assertThat(create(spec().idleStop(Duration.ofSeconds(90)).build()).autoStopConfiguration()
        .idleTimeoutMinutes()).isEqualTo(2);
    assertThat(create(spec().build()).autoStopConfiguration().idleTimeoutMinutes()).isEqualTo(15);
    assertThat(create(spec().idleStop(Duration.ofDays(7)).build()).autoStopConfiguration().idleTimeoutMinutes())
        .isEqualTo(10080);
  }

  @Test
  void theExecutionTimeoutIsRoundedUpToWholeMinutes() {
    assertThat(timeoutMinutes(Duration.ofSeconds(20))).as("not 0").isEqualTo(1);
    assertThat(timeoutMinutes(Duration.ofSeconds(60))).isEqualTo(1);
    assertThat(timeoutMinutes(Duration.ofSeconds(61))).isEqualTo(2);
    assertThat(timeoutMinutes(Duration.ofMillis(500))).isEqualTo(1);
    assertThat(timeoutMinutes(Duration.ofHours(3))).isEqualTo(180);
    for (Duration d : new Duration[] {Duration.ZERO, Duration.ofSeconds(-1)}) {
      assertThatThrownBy(() -> spec().executionTimeout(d).build()).as(d.toString())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("execution timeout must be positive");
    }
  }

  @Test
  void theExecutionTimeoutIsAtMostTheMillionMinutesEmrServerlessTakes() {
    // StartJobRun: executionTimeoutMinutes 0 to 1000000
    assertThat(timeoutMinutes(Duration.ofMinutes(1_000_000))).isEqualTo(1_000_000);
    assertThat(timeoutMinutes(Duration.ofMinutes(999_999).plusSeconds(1))).isEqualTo(1_000_000);
    for (Duration d : new Duration[] {Duration.ofMinutes(1_000_000).plusSeconds(1), Duration.ofDays(1000)}) {
      assertThatThrownBy(() -> spec().executionTimeout(d).build()).as(d.toString())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("execution timeout must be at most 1000000 minutes (EMR Serverless's limit), got "
              + ServerlessRequests.minutesRoundedUp(d) + " minutes");
    }
  }

  @Test
  void theProjectTagStaysP9() {
    assertThatThrownBy(() -> spec().tag("project", "other").build()).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("tag 'project=other' is not allowed: p9 tags what it creates project=p9, which the IAM"
            + " policies in examples/iam/ require; use another key");
    assertThatThrownBy(() -> new ServerlessSpec("p9", "emr-7.9.0", "X86_64", Duration.ofMinutes(15), null, null,
        "arn:aws:iam::123456789012:role/r", S3Location.parse("s3://b-1/l/"), Duration.ofHours(1), Map.of()))
        .as("built without the builder").isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("the tag project=p9 is missing");
    assertThat(create(spec().tag("project", "p9").tag("team", "ml").build()).tags())
        .containsExactly(Map.entry("project", "p9"), Map.entry("team", "ml"));
  }

  @Test
  void theApplicationNameIsOneEmrServerlessTakes() {
    // CreateApplication: name 1 to 64 characters, [A-Za-z0-9._/#-]+
    for (String bad : new String[] {"", "my app", "p9:fruits", "caf\u00e9", "a".repeat(65)}) {
      assertThatThrownBy(() -> spec().applicationName(bad).build()).as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("EMR Serverless application name '" + bad + "' (" + bad.length()
              + " characters) is refused by AWS: it takes 1 to 64 characters, among A-Z a-z 0-9 . _ / # -");
    }
    for (String good : new String[] {"p9", "p9-fruits_2.0/team#1", "a".repeat(64)}) {
      assertThat(create(spec().applicationName(good).build()).name()).isEqualTo(good);
    }
  }

  @Test
  void tagsAreOnesEmrServerlessTakes() {
    // CreateApplication / StartJobRun tags: keys [A-Za-z0-9 /_.:=+@-]+ of 1 to 128, values [A-Za-z0-9 /_.:=+@-]* of
    // 0 to 256 characters; at most 50 user tags on a resource; no aws: prefix
    Map<String, String> refused = Map.of("k".repeat(129), "v", "team", "v".repeat(257), "cost#center", "x",
        "group", "ml!", "", "x", "\u00e9quipe", "ml", "aws:owner", "me", "owner", "aws:me");
    refused.forEach((k, v) -> assertThatThrownBy(() -> spec().tag(k, v).build()).as(k + "=" + v)
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("refused by AWS"));
    ServerlessSpec.Builder many = spec();
    for (int i = 0; i < 50; i++) {
      many.tag("t" + i, "v");
    }
    assertThatThrownBy(many::build).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("EMR Serverless takes at most 50 tags on a resource, got 51");
    ServerlessSpec ok = spec().tag("k".repeat(128), "v".repeat(256)).tag("cost-center", "")
        .tag("a_b.c:d/e=f+g-h@i", "x y").build();
    assertThat(create(ok).tags()).hasSize(4);
  }

  @Test
  void theExecutionRoleArnIsOneStartJobRunTakes() {
    // StartJobRun executionRoleArn: arn:(aws[a-zA-Z0-9-]*):iam::([0-9]{12}):(role((/)|(/[!-DEL]+/))[\w+=,.@-]+)
    for (String bad : new String[] {"arn:aws:iam::123456789012:role/p9 job", "arn:aws:iam::123456789012:role/p9*",
        "arn:aws:iam::123456789012:role/", "arn:aws:iam::12345:role/p9", "p9-serverless-job"}) {
      assertThatThrownBy(() -> spec().executionRoleArn(bad).build()).as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("an execution role ARN (arn:aws:iam::<account>:role/<name>) is required, got '" + bad);
    }
    for (String good : new String[] {"arn:aws:iam::123456789012:role/p9-serverless-job",
        "arn:aws:iam::123456789012:role/service-role/p9_job+1=a,b.c@d", "arn:aws-cn:iam::123456789012:role/p9"}) {
      assertThat(ServerlessRequests.startJobRun("app", spec().executionRoleArn(good).build(),
          ServerlessLauncherTest.job(), "tok").executionRoleArn()).isEqualTo(good);
    }
  }

  @Test
  void theJobIsOneStartJobRunTakes() {
    // SparkSubmit: at most 1024 entryPointArguments, each .*\S.*; sparkSubmitParameters up to 102400 characters
    S3Location jar = S3Location.parse("s3://p9-bucket/j.jar");
    Map<SparkJob, String> refused = Map.of(
        new SparkJob("p9", jar, "C", List.of("run", "--master", " "), Map.of()),
        "EMR Serverless cannot pass a blank job argument: argument 3 of 3",
        new SparkJob("p9", jar, "C", List.of("run", ""), Map.of()),
        "EMR Serverless cannot pass a blank job argument: argument 2 of 2",
        new SparkJob("p9", jar, "C", Collections.nCopies(1025, "run"), Map.of()),
        "EMR Serverless takes at most 1024 job arguments, got 1025",
        new SparkJob("p9", jar, "C", List.of("run"), Map.of("spark.x", "v".repeat(102_400))),
        "EMR Serverless takes spark-submit parameters (--class and the --conf's) of at most 102400 characters, got"
            + " 102425",
        new SparkJob("p9", jar, "C", List.of("run"), Map.of("spark.x", "a b")),
        "EMR Serverless cannot pass a --conf value with spaces: spark.x");
    refused.forEach((job, message) -> {
      assertThatThrownBy(() -> ServerlessRequests.startJobRun("app", spec().build(), job, "tok")).as(message)
          .isInstanceOf(IllegalArgumentException.class).hasMessage(message);
    });
    SparkJob most = new SparkJob("p9", jar, "C", Collections.nCopies(1024, "a"), Map.of("k", "v".repeat(102_381)));
    assertThat(ServerlessRequests.startJobRun("app", spec().build(), most, "tok").jobDriver().sparkSubmit()
        .sparkSubmitParameters()).hasSize(102_400);
  }

  private static long timeoutMinutes(Duration d) {
    return ServerlessRequests.startJobRun("app", spec().executionTimeout(d).build(), ServerlessLauncherTest.job(),
        "tok").executionTimeoutMinutes();
  }
}
