package io.p9.aws.emr;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.matching;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.client.MappingBuilder;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.http.Fault;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.p9.aws.AwsFailure;
import io.p9.aws.AwsSettings;
import io.p9.aws.DryRun;
import io.p9.aws.RegionPolicy;
import io.p9.aws.SparkJob;
import io.p9.aws.s3.S3Location;
import io.p9.aws.s3.S3Store;
import io.p9.aws.testing.AwsStub;
import io.p9.aws.testing.FakeClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.emr.EmrClient;

/**
 * The EMR launcher against an HTTP stub on 127.0.0.1 that checks what the SDK puts on the wire (JSON 1.1
 * protocol: POST /, the operation in X-Amz-Target, SigV4 for elasticmapreduce in eu-west-1) and answers
 * with the documented response shapes.
 */
class EmrLauncherTest {
  private static final String JSON_11 = "application/x-amz-json-1.1";

  private AwsStub stub;
  private EmrClient emr;
  private EmrLauncher launcher;
  private final List<String> progress = new ArrayList<>();
  private final FakeClock clock = new FakeClock();

  static SparkJob job() {
    return new SparkJob("p9 fruits", S3Location.parse("s3://p9-bucket/p9/jars/p9-job-0123456789ab.jar"),
        "io.p9.examples.P9Cli", List.of("run", "--input", "s3://p9-bucket/fruits/Training", "--output",
            "s3://p9-bucket/out/run1"), Map.of("spark.sql.shuffle.partitions", "64"));
  }

  static EmrClusterSpec.Builder spec() {
    return EmrClusterSpec.builder().logUri(S3Location.parse("s3://p9-bucket/emr-logs"));
  }

  @BeforeEach
  void start() {
    stub = new AwsStub();
    AwsSettings settings = stub.settings().build();
    emr = settings.emr();
    launcher = new EmrLauncher(emr, new S3Store(settings.s3(), RegionPolicy.euOnly()), progress::add);
  }

  @AfterEach
  void stop() {
    emr.close();
    stub.close();
  }

  private static MappingBuilder op(String operation) {
    return post(urlEqualTo("/")).withHeader("X-Amz-Target", equalTo("ElasticMapReduce." + operation));
  }

  private static ResponseDefinitionBuilder ok(String body) {
    return aResponse().withStatus(200).withHeader("Content-Type", JSON_11).withBody(body);
  }

  private static ResponseDefinitionBuilder error(int status, String type, String message) {
    return aResponse().withStatus(status).withHeader("Content-Type", JSON_11)
        .withBody("{\"__type\":\"" + type + "\",\"message\":\"" + message + "\"}");
  }

  private List<LoggedRequest> calls(String operation) {
    return stub.server.findAll(postRequestedFor(urlEqualTo("/"))
        .withHeader("X-Amz-Target", equalTo("ElasticMapReduce." + operation)));
  }

  private static String cluster(String state, String logUri) {
    return "{\"Cluster\":{\"Id\":\"j-2AXXXXXXGAPLF\",\"Name\":\"p9-fruits\",\"Status\":{\"State\":\"" + state
        + "\",\"StateChangeReason\":{},\"Timeline\":{\"CreationDateTime\":1.733328E9}},\"LogUri\":\"" + logUri
        + "\",\"ReleaseLabel\":\"emr-7.9.0\",\"Applications\":[{\"Name\":\"Spark\",\"Version\":\"3.5.5\"}]}}";
  }

  /** A step in {@code state}, with a start time in its timeline unless PENDING or CANCELLED (before it ran). */
  private static String step(String state, String failure) {
    return "{\"Step\":{\"Id\":\"s-1K2XXXXXXXX\",\"Name\":\"p9 fruits\",\"ActionOnFailure\":\"TERMINATE_CLUSTER\","
        + "\"Config\":{\"Jar\":\"command-runner.jar\",\"Args\":[\"spark-submit\"]},\"Status\":{\"State\":\""
        + state + "\"" + (failure == null ? "" : ",\"FailureDetails\":" + failure)
        + ",\"StateChangeReason\":{},\"Timeline\":{\"CreationDateTime\":1.733328E9"
        + (state.equals("PENDING") || state.equals("CANCELLED") ? "" : ",\"StartDateTime\":1.7333281E9") + "}}}}";
  }

  @Test
  void launchSendsTheClusterWithTheSparkStepAndJava17() throws Exception {
    stub.server.stubFor(op("RunJobFlow").willReturn(ok(
        "{\"JobFlowId\":\"j-2AXXXXXXGAPLF\",\"ClusterArn\":\"arn:aws:elasticmapreduce:eu-west-1:123456789012:cluster/j-2AXXXXXXGAPLF\"}")));
    stub.server.stubFor(op("ListSteps").willReturn(ok(
        "{\"Steps\":[{\"Id\":\"s-1K2XXXXXXXX\",\"Name\":\"p9 fruits\",\"Status\":{\"State\":\"PENDING\"}}]}")));
    EmrClusterSpec spec = spec().coreMarket(EmrClusterSpec.Market.SPOT).coreCount(3)
        .securityConfiguration("p9-at-rest").tag("owner", "data-team").build();

    EmrLauncher.Launched l = launcher.launch(spec, job());

    assertThat(l).isEqualTo(new EmrLauncher.Launched("j-2AXXXXXXGAPLF", "s-1K2XXXXXXXX"));
    LoggedRequest req = calls("RunJobFlow").get(0);
    assertThat(req.getHeader("Content-Type")).startsWith(JSON_11);
    assertThat(req.getHeader("Authorization")).startsWith("AWS4-HMAC-SHA256 Credential=" + AwsStub.ACCESS_KEY + "/")
        .contains("/eu-west-1/elasticmapreduce/aws4_request");
    JsonNode body = AwsStub.json(req.getBodyAsString());
    assertThat(body.get("Name").asText()).isEqualTo("p9-fruits");
    assertThat(body.get("ReleaseLabel").asText()).isEqualTo("emr-7.9.0");
    assertThat(body.get("LogUri").asText()).isEqualTo("s3://p9-bucket/emr-logs/");
    assertThat(body.at("/Applications/0/Name").asText()).isEqualTo("Spark");
    assertThat(body.get("ServiceRole").asText()).isEqualTo("EMR_DefaultRole");
    assertThat(body.get("JobFlowRole").asText()).isEqualTo("EMR_EC2_DefaultRole");
    assertThat(body.get("SecurityConfiguration").asText()).isEqualTo("p9-at-rest");
    assertThat(body.has("AutoTerminationPolicy")).as("a cluster that ends with its step needs no idle policy").isFalse();
    JsonNode groups = body.at("/Instances/InstanceGroups");
    assertThat(groups.get(0).get("InstanceRole").asText()).isEqualTo("MASTER");
    assertThat(groups.get(0).get("Market").asText()).isEqualTo("ON_DEMAND");
    assertThat(groups.get(1).get("InstanceRole").asText()).isEqualTo("CORE");
    assertThat(groups.get(1).get("Market").asText()).isEqualTo("SPOT");
    assertThat(groups.get(1).get("InstanceCount").asInt()).isEqualTo(3);
    assertThat(body.at("/Instances/KeepJobFlowAliveWhenNoSteps").asBoolean(true)).isFalse();
    // Java 17 for YARN containers and daemons.
    JsonNode conf = body.get("Configurations");
    assertThat(conf.get(0).get("Classification").asText()).isEqualTo("spark-defaults");
    assertThat(conf.get(0).at("/Properties/spark.executorEnv.JAVA_HOME").asText()).isEqualTo("/usr/lib/jvm/jre-17");
    assertThat(conf.get(0).at("/Properties/spark.yarn.appMasterEnv.JAVA_HOME").asText()).isEqualTo("/usr/lib/jvm/jre-17");
    assertThat(conf.get(1).get("Classification").asText()).isEqualTo("spark-env");
    assertThat(conf.get(1).at("/Configurations/0/Classification").asText()).isEqualTo("export");
    assertThat(conf.get(1).at("/Configurations/0/Properties/JAVA_HOME").asText()).isEqualTo("/usr/lib/jvm/jre-17");
    assertThat(conf.get(2).get("Classification").asText()).isEqualTo("hadoop-env");
    // The Spark step: command-runner.jar -> spark-submit in cluster mode with the jar and its arguments.
    JsonNode step = body.at("/Steps/0");
    assertThat(step.get("ActionOnFailure").asText()).isEqualTo("TERMINATE_CLUSTER");
    assertThat(step.at("/HadoopJarStep/Jar").asText()).isEqualTo("command-runner.jar");
    List<String> args = new ArrayList<>();
    step.at("/HadoopJarStep/Args").forEach(a -> args.add(a.asText()));
    assertThat(args).containsExactly("spark-submit", "--deploy-mode", "cluster", "--class", "io.p9.examples.P9Cli",
        "--conf", "spark.sql.shuffle.partitions=64", "s3://p9-bucket/p9/jars/p9-job-0123456789ab.jar", "run",
        "--input", "s3://p9-bucket/fruits/Training", "--output", "s3://p9-bucket/out/run1");
    List<String> tags = new ArrayList<>();
    body.get("Tags").forEach(t -> tags.add(t.get("Key").asText() + "=" + t.get("Value").asText()));
    assertThat(tags).containsExactly("project=p9", "owner=data-team");
    // --dry-run prints exactly this body.
    String dry = DryRun.requestJson("emr", "RunJobFlow", "eu-west-1", EmrRequests.runJobFlow(spec, job()));
    assertThat(AwsStub.json(dry).get("request")).isEqualTo(body);
    assertThat(progress).anyMatch(p -> p.contains("j-2AXXXXXXGAPLF requested"));
  }

  @Test
  void fleetsWithSpotFallBackToOnDemandAndKeptAliveClustersGetAnIdleTimeout() {
    stub.server.stubFor(op("RunJobFlow").willReturn(ok("{\"JobFlowId\":\"j-1\"}")));
    stub.server.stubFor(op("ListSteps").willReturn(ok("{\"Steps\":[{\"Id\":\"s-1\",\"Name\":\"p9 fruits\"}]}")));
    EmrClusterSpec spec = spec().fleets(true).coreTypes(List.of("m5.xlarge", "m5a.xlarge", "m6i.xlarge"))
        .coreMarket(EmrClusterSpec.Market.SPOT).coreCount(4).keepAlive(true).idleTimeout(Duration.ofMinutes(30))
        .subnetId("subnet-0abc").build();

    launcher.launch(spec, job());

    JsonNode body = AwsStub.json(calls("RunJobFlow").get(0).getBodyAsString());
    assertThat(body.at("/AutoTerminationPolicy/IdleTimeout").asLong()).isEqualTo(1800);
    assertThat(body.at("/Instances/KeepJobFlowAliveWhenNoSteps").asBoolean()).isTrue();
    assertThat(body.at("/Instances/Ec2SubnetIds/0").asText()).isEqualTo("subnet-0abc");
    JsonNode core = body.at("/Instances/InstanceFleets/1");
    assertThat(core.get("InstanceFleetType").asText()).isEqualTo("CORE");
    assertThat(core.get("TargetSpotCapacity").asInt()).isEqualTo(4);
    assertThat(core.get("InstanceTypeConfigs")).hasSize(3);
    assertThat(core.at("/LaunchSpecifications/SpotSpecification/TimeoutAction").asText())
        .isEqualTo("SWITCH_TO_ON_DEMAND");
    assertThat(body.at("/Instances/InstanceFleets/0/TargetOnDemandCapacity").asInt()).isEqualTo(1);
    assertThat(body.at("/Steps/0/ActionOnFailure").asText()).isEqualTo("CONTINUE");
  }

  @Test
  void waitReportsEveryStateChangeUntilTheStepCompletes() throws Exception {
    String c = "cluster";
    stub.server.stubFor(op("DescribeCluster").inScenario(c).whenScenarioStateIs(Scenario.STARTED)
        .willReturn(ok(cluster("STARTING", "s3n://p9-bucket/emr-logs/"))).willSetStateTo("c2"));
    stub.server.stubFor(op("DescribeCluster").inScenario(c).whenScenarioStateIs("c2")
        .willReturn(ok(cluster("RUNNING", "s3n://p9-bucket/emr-logs/"))));
    String s = "step";
    stub.server.stubFor(op("DescribeStep").inScenario(s).whenScenarioStateIs(Scenario.STARTED)
        .willReturn(ok(step("PENDING", null))).willSetStateTo("s2"));
    stub.server.stubFor(op("DescribeStep").inScenario(s).whenScenarioStateIs("s2")
        .willReturn(ok(step("PENDING", null))).willSetStateTo("s3"));
    stub.server.stubFor(op("DescribeStep").inScenario(s).whenScenarioStateIs("s3")
        .willReturn(ok(step("RUNNING", null))).willSetStateTo("s4"));
    stub.server.stubFor(op("DescribeStep").inScenario(s).whenScenarioStateIs("s4")
        .willReturn(ok(step("COMPLETED", null))));

    EmrLauncher.StepResult r = launcher.waitForStep("j-2AXXXXXXGAPLF", "s-1K2XXXXXXXX", clock.backoff(Duration.ofHours(1)));

    assertThat(r.succeeded()).isTrue();
    assertThat(r.reason()).isNull();
    assertThat(progress).as("one line per change of cluster or step")
        .containsExactly("[0s] cluster j-2AXXXXXXGAPLF STARTING, step s-1K2XXXXXXXX PENDING",
            "[10s] cluster j-2AXXXXXXGAPLF RUNNING, step s-1K2XXXXXXXX PENDING",
            "[30s] cluster j-2AXXXXXXGAPLF RUNNING, step s-1K2XXXXXXXX RUNNING",
            "[1m10s] cluster j-2AXXXXXXGAPLF RUNNING, step s-1K2XXXXXXXX COMPLETED");
    assertThat(clock.sleeps).containsExactly(Duration.ofSeconds(10), Duration.ofSeconds(20), Duration.ofSeconds(40));
    assertThat(calls("DescribeStep")).hasSize(4);
    JsonNode body = AwsStub.json(calls("DescribeStep").get(0).getBodyAsString());
    assertThat(body.get("ClusterId").asText()).isEqualTo("j-2AXXXXXXGAPLF");
    assertThat(body.get("StepId").asText()).isEqualTo("s-1K2XXXXXXXX");
  }

  @Test
  void throttledCallsAreRetriedBySdk() throws Exception {
    stub.server.stubFor(op("DescribeCluster").willReturn(ok(cluster("RUNNING", "s3n://p9-bucket/emr-logs/"))));
    String s = "throttled";
    stub.server.stubFor(op("DescribeStep").inScenario(s).whenScenarioStateIs(Scenario.STARTED)
        .willReturn(error(400, "ThrottlingException", "Rate exceeded")).willSetStateTo("t2"));
    stub.server.stubFor(op("DescribeStep").inScenario(s).whenScenarioStateIs("t2")
        .willReturn(error(400, "ThrottlingException", "Rate exceeded")).willSetStateTo("ok"));
    stub.server.stubFor(op("DescribeStep").inScenario(s).whenScenarioStateIs("ok")
        .willReturn(ok(step("COMPLETED", null))));

    EmrLauncher.StepResult r = launcher.waitForStep("j-2AXXXXXXGAPLF", "s-1K2XXXXXXXX", clock.backoff(Duration.ofHours(1)));

    assertThat(r.succeeded()).isTrue();
    assertThat(calls("DescribeStep")).as("two throttled attempts, then success, within one poll").hasSize(3);
    assertThat(clock.sleeps).as("no poll back-off was needed").isEmpty();
  }

  @Test
  void persistentThrottlingEndsWithAClearFailure() {
    stub.server.stubFor(op("DescribeCluster").willReturn(error(400, "ThrottlingException", "Rate exceeded")));

    assertThatThrownBy(() -> launcher.waitForStep("j-1", "s-1", clock.backoff(Duration.ofHours(1))))
        .isInstanceOf(AwsFailure.class).hasMessageContaining("ThrottlingException").hasMessageContaining("step s-1");
    int polls = AwsFailure.TRANSIENT_POLLS_TOLERATED + 1;
    assertThat(calls("DescribeCluster")).as("maxAttempts = 4 per poll, %d polls", polls).hasSize(4 * polls);
    assertThat(clock.sleeps).containsExactly(Duration.ofSeconds(10), Duration.ofSeconds(20), Duration.ofSeconds(40),
        Duration.ofSeconds(60), Duration.ofSeconds(60));
    assertThat(progress).hasSize(AwsFailure.TRANSIENT_POLLS_TOLERATED).allSatisfy(p -> assertThat(p)
        .contains("asking about step s-1 failed: ThrottlingException (HTTP 400)").endsWith("in a row; asking again"));
  }

  /**
   * A wait of hours is not ended by throttling that outlasts one poll's SDK retries, nor by a dropped
   * connection: the poll counts as no answer yet, and the next one finds the step done.
   */
  @Test
  void aPollThatStillFailsAfterTheSdksRetriesIsToleratedAndTheWaitGoesOn() throws Exception {
    stub.server.stubFor(op("DescribeCluster").willReturn(ok(cluster("RUNNING", "s3n://p9-bucket/emr-logs/"))));
    String s = "flaky";
    String state = Scenario.STARTED;
    // one poll's 4 attempts throttled, the next poll's 4 attempts cut off, then the answer
    for (int i = 0; i < 8; i++) {
      ResponseDefinitionBuilder r = i < 4 ? error(400, "ThrottlingException", "Rate exceeded")
          : aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER);
      stub.server.stubFor(op("DescribeStep").inScenario(s).whenScenarioStateIs(state).willReturn(r)
          .willSetStateTo("r" + i));
      state = "r" + i;
    }
    stub.server.stubFor(op("DescribeStep").inScenario(s).whenScenarioStateIs(state)
        .willReturn(ok(step("COMPLETED", null))));

    EmrLauncher.StepResult r = launcher.waitForStep("j-2AXXXXXXGAPLF", "s-1K2XXXXXXXX", clock.backoff(Duration.ofHours(1)));

    assertThat(r.succeeded()).isTrue();
    assertThat(calls("DescribeStep")).hasSize(9);
    assertThat(clock.sleeps).containsExactly(Duration.ofSeconds(10), Duration.ofSeconds(20));
    assertThat(progress).hasSize(3);
    assertThat(progress.get(0)).isEqualTo(
        "[0s] asking about step s-1K2XXXXXXXX failed: ThrottlingException (HTTP 400), 1 of 5 tolerated in a row;"
            + " asking again");
    assertThat(progress.get(1)).startsWith("[10s] asking about step s-1K2XXXXXXXX failed: Unable to execute HTTP")
        .endsWith("2 of 5 tolerated in a row; asking again");
    assertThat(progress.get(2)).isEqualTo("[30s] cluster j-2AXXXXXXGAPLF RUNNING, step s-1K2XXXXXXXX COMPLETED");
  }

  @Test
  void aPollRefusedForGoodEndsTheWaitAtOnce() {
    stub.server.stubFor(op("DescribeCluster").willReturn(error(400, "AccessDeniedException",
        "User is not authorized to perform: elasticmapreduce:DescribeCluster")));

    assertThatThrownBy(() -> launcher.waitForStep("j-1", "s-1", clock.backoff(Duration.ofHours(1))))
        .isInstanceOf(AwsFailure.class).hasMessageStartingWith("access denied while waiting for step s-1");
    assertThat(calls("DescribeCluster")).hasSize(1);
    assertThat(clock.sleeps).isEmpty();
    assertThat(progress).isEmpty();
  }

  @Test
  void failedStepGivesTheReasonAndItsStderrFromTheLogUri() throws Exception {
    stub.server.stubFor(op("DescribeCluster").willReturn(ok(cluster("TERMINATING", "s3n://p9-bucket/emr-logs/"))));
    stub.server.stubFor(op("DescribeStep").willReturn(ok(step("FAILED",
        "{\"Reason\":\"Unknown Error.\",\"Message\":\"Exception in thread main: bucket not found\","
            + "\"LogFile\":\"s3://p9-bucket/emr-logs/j-2AXXXXXXGAPLF/steps/s-1K2XXXXXXXX/stderr.gz\"}"))));
    stub.server.stubFor(get(urlEqualTo("/p9-bucket/emr-logs/j-2AXXXXXXGAPLF/steps/s-1K2XXXXXXXX/stderr.gz"))
        .withHeader("Authorization", matching("AWS4-HMAC-SHA256 .*/eu-west-1/s3/aws4_request.*"))
        .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/octet-stream")
            .withBody(AwsStub.gzip("25/12/04 12:00:01 INFO Client: ...\nException in thread \"main\" "
                + "java.io.FileNotFoundException: s3://p9-bucket/fruits/Training\n"))));

    EmrLauncher.StepResult r = launcher.waitForStep("j-2AXXXXXXGAPLF", "s-1K2XXXXXXXX", clock.backoff(Duration.ofHours(1)));

    assertThat(r.succeeded()).isFalse();
    assertThat(r.state()).isEqualTo("FAILED");
    assertThat(r.message()).isEqualTo("Exception in thread main: bucket not found");
    assertThat(r.logFile()).endsWith("/stderr.gz");
    assertThat(r.started()).isTrue();
    assertThat(launcher.stepLog("j-2AXXXXXXGAPLF", "s-1K2XXXXXXXX", "stderr"))
        .hasValueSatisfying(t -> assertThat(t).contains("FileNotFoundException: s3://p9-bucket/fruits/Training"));
    assertThat(launcher.stepLog("j-2AXXXXXXGAPLF", "s-1K2XXXXXXXX", "stdout")).as("no such object yet").isEmpty();
  }

  /**
   * A cluster that fails before its step runs (a wrong subnet, a bootstrap failure, no capacity) cancels the step,
   * which then has no failure details of its own: the result gives the cluster's reason instead.
   */
  @Test
  void aStepCancelledByTheClusterEndingGivesTheClustersReason() throws Exception {
    stub.server.stubFor(op("DescribeCluster").willReturn(ok("{\"Cluster\":{\"Id\":\"j-2AXXXXXXGAPLF\","
        + "\"Name\":\"p9-fruits\",\"Status\":{\"State\":\"TERMINATED_WITH_ERRORS\",\"StateChangeReason\":"
        + "{\"Code\":\"VALIDATION_ERROR\",\"Message\":\"The subnet ID 'subnet-0abc' does not exist\"}},"
        + "\"LogUri\":\"s3n://p9-bucket/emr-logs/\"}}")));
    stub.server.stubFor(op("DescribeStep").willReturn(ok(step("CANCELLED", null))));

    EmrLauncher.StepResult r = launcher.waitForStep("j-2AXXXXXXGAPLF", "s-1K2XXXXXXXX",
        clock.backoff(Duration.ofHours(1)));

    assertThat(r.succeeded()).isFalse();
    assertThat(r.state()).isEqualTo("CANCELLED");
    assertThat(r.reason()).isEqualTo("cluster j-2AXXXXXXGAPLF TERMINATED_WITH_ERRORS, VALIDATION_ERROR");
    assertThat(r.message()).isEqualTo("The subnet ID 'subnet-0abc' does not exist");
    assertThat(r.logFile()).isNull();
    assertThat(r.started()).as("no start time: it never ran").isFalse();
  }

  /** A step cancelled on a cluster that goes on (CancelSteps) has no reason to borrow from it. */
  @Test
  void aStepCancelledOnARunningClusterHasNoReasonOfTheClusters() throws Exception {
    stub.server.stubFor(op("DescribeCluster").willReturn(ok(cluster("WAITING", "s3n://p9-bucket/emr-logs/"))));
    stub.server.stubFor(op("DescribeStep").willReturn(ok(step("CANCELLED", null))));

    EmrLauncher.StepResult r = launcher.waitForStep("j-2AXXXXXXGAPLF", "s-1K2XXXXXXXX",
        clock.backoff(Duration.ofHours(1)));

    assertThat(r.state()).isEqualTo("CANCELLED");
    assertThat(r.reason()).isNull();
    assertThat(r.message()).isNull();
  }

  @Test
  void waitingGivesUpAtTheDeadline() {
    stub.server.stubFor(op("DescribeCluster").willReturn(ok(cluster("STARTING", "s3n://p9-bucket/l/"))));
    stub.server.stubFor(op("DescribeStep").willReturn(ok(step("PENDING", null))));

    assertThatThrownBy(() -> launcher.waitForStep("j-1", "s-1", clock.backoff(Duration.ofMinutes(5))))
        .isInstanceOf(TimeoutException.class).hasMessageContaining("gave up after 5m00s");
    assertThat(clock.sleeps.stream().mapToLong(Duration::getSeconds).sum()).isEqualTo(300);
  }

  @Test
  void addStepAndTerminateAndStatus() {
    stub.server.stubFor(op("AddJobFlowSteps").willReturn(ok("{\"StepIds\":[\"s-NEW\"]}")));
    stub.server.stubFor(op("TerminateJobFlows").willReturn(ok("{}")));
    stub.server.stubFor(op("DescribeCluster").willReturn(ok(cluster("WAITING", "s3n://p9-bucket/emr-logs/"))));
    stub.server.stubFor(op("ListSteps").willReturn(ok(
        "{\"Steps\":[{\"Id\":\"s-NEW\",\"Name\":\"p9 fruits\",\"Status\":{\"State\":\"PENDING\"}},"
            + "{\"Id\":\"s-OLD\",\"Name\":\"p9 fruits\",\"Status\":{\"State\":\"COMPLETED\"}}]}")));

    assertThat(launcher.addStep("j-1", job())).isEqualTo("s-NEW");
    EmrLauncher.ClusterStatus st = launcher.status("j-2AXXXXXXGAPLF");
    launcher.terminate("j-2AXXXXXXGAPLF");

    JsonNode add = AwsStub.json(calls("AddJobFlowSteps").get(0).getBodyAsString());
    assertThat(add.get("JobFlowId").asText()).isEqualTo("j-1");
    assertThat(add.at("/Steps/0/HadoopJarStep/Args/0").asText()).isEqualTo("spark-submit");
    assertThat(add.at("/Steps/0/ActionOnFailure").asText()).as("not p9's cluster to end").isEqualTo("CONTINUE");
    assertThat(st.state()).isEqualTo("WAITING");
    assertThat(st.steps()).extracting(x -> x.id()).containsExactly("s-NEW", "s-OLD");
    stub.server.verify(postRequestedFor(urlEqualTo("/"))
        .withHeader("X-Amz-Target", equalTo("ElasticMapReduce.TerminateJobFlows"))
        .withRequestBody(matchingJsonPath("$.JobFlowIds[0]", equalTo("j-2AXXXXXXGAPLF"))));
  }

  /** {@code operation} answered {@code first}, then {@code then} from its second call on. */
  private void firstThen(String operation, ResponseDefinitionBuilder first, ResponseDefinitionBuilder then) {
    stub.server.stubFor(op(operation).inScenario(operation).whenScenarioStateIs(Scenario.STARTED).willReturn(first)
        .willSetStateTo("then"));
    stub.server.stubFor(op(operation).inScenario(operation).whenScenarioStateIs("then").willReturn(then));
  }

  /**
   * RunJobFlow takes no idempotency token: a request whose connection dropped after it was sent may have started
   * the cluster, and sending it again could start a second one running the same job. It is not resent, and the
   * failure says to look for the cluster before submitting again.
   */
  @Test
  void aClusterRequestCutOffOnceSentIsNotSentAgain() {
    firstThen("RunJobFlow", aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER),
        ok("{\"JobFlowId\":\"j-SECOND\"}"));
    stub.server.stubFor(op("ListSteps").willReturn(ok("{\"Steps\":[{\"Id\":\"s-1\",\"Name\":\"p9 fruits\"}]}")));

    assertThatThrownBy(() -> launcher.launch(spec().build(), job()))
        .isInstanceOf(AwsFailure.class)
        .hasMessageStartingWith("creating the EMR cluster failed: ")
        .hasMessageContaining("EMR may have created the cluster all the same")
        .hasMessageContaining("'p9-fruits'");
    assertThat(calls("RunJobFlow")).as("sent once").hasSize(1);
  }

  /** An EMR server error leaves it open whether the cluster was created: not resent either. */
  @Test
  void aClusterRequestAnsweredWithAServerErrorIsNotSentAgain() {
    stub.server.stubFor(op("RunJobFlow").willReturn(error(500, "InternalServerError", "internal error")));

    assertThatThrownBy(() -> launcher.launch(spec().build(), job()))
        .isInstanceOf(AwsFailure.class).hasMessageContaining("InternalServerError (HTTP 500)")
        .hasMessageContaining("EMR may have created the cluster all the same");
    assertThat(calls("RunJobFlow")).hasSize(1);
  }

  /** Throttling refuses the request as a whole: resending it is safe, and the SDK does. */
  @Test
  void aThrottledClusterRequestIsSentAgain() {
    firstThen("RunJobFlow", error(400, "ThrottlingException", "Rate exceeded"), ok("{\"JobFlowId\":\"j-1\"}"));
    stub.server.stubFor(op("ListSteps").willReturn(ok("{\"Steps\":[{\"Id\":\"s-1\",\"Name\":\"p9 fruits\"}]}")));

    assertThat(launcher.launch(spec().build(), job())).isEqualTo(new EmrLauncher.Launched("j-1", "s-1"));
    assertThat(calls("RunJobFlow")).hasSize(2);
  }

  /** AddJobFlowSteps takes no idempotency token either: a step sent twice would run the job twice. */
  @Test
  void aStepRequestCutOffOnceSentIsNotSentAgain() {
    firstThen("AddJobFlowSteps", aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER),
        ok("{\"StepIds\":[\"s-SECOND\"]}"));

    assertThatThrownBy(() -> launcher.addStep("j-1", job()))
        .isInstanceOf(AwsFailure.class)
        .hasMessageStartingWith("adding the step to j-1 failed: ")
        .hasMessageContaining("EMR may have added the step all the same")
        .hasMessageContaining("p9 emr status --cluster-id j-1");
    assertThat(calls("AddJobFlowSteps")).as("sent once").hasSize(1);
  }

  /**
   * Expired or unknown credentials come back with HTTP 403, as access denied does (AWS's common errors): they are
   * told apart by their code, and the advice is to refresh the credentials, not to change the IAM policies.
   */
  @Test
  void refusedCredentialsAreNotTakenForMissingPermissions() {
    for (String code : List.of("ExpiredTokenException", "UnrecognizedClientException")) {
      stub.server.stubFor(op("DescribeCluster").willReturn(error(403, code,
          "The security token included in the request is invalid")));

      assertThatThrownBy(() -> launcher.status("j-1")).as(code)
          .isInstanceOf(AwsFailure.class)
          .hasMessageStartingWith("the AWS credentials were refused while describing cluster j-1 (" + code + ": ")
          .hasMessageContaining("refresh them")
          .hasMessageNotContaining("examples/iam/");
    }
  }

  @Test
  void accessDeniedSaysWhichPermissionsAreNeeded() {
    stub.server.stubFor(op("RunJobFlow").willReturn(error(400, "AccessDeniedException",
        "User: arn:aws:iam::123456789012:user/x is not authorized to perform: elasticmapreduce:RunJobFlow")));

    assertThatThrownBy(() -> launcher.launch(spec().build(), job()))
        .isInstanceOf(AwsFailure.class)
        .hasMessageContaining("access denied while creating the EMR cluster")
        .hasMessageContaining("elasticmapreduce:RunJobFlow")
        .hasMessageContaining("examples/iam/");
    assertThat(calls("RunJobFlow")).as("not retried").hasSize(1);
  }
}
