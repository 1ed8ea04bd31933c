package io.p9.aws.serverless;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.patch;
import static com.github.tomakehurst.wiremock.client.WireMock.patchRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
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
import software.amazon.awssdk.services.emrserverless.EmrServerlessClient;

/**
 * The EMR Serverless launcher against an HTTP stub on 127.0.0.1 (REST-JSON: the operation is the method
 * and path; SigV4 for emr-serverless), answering with the documented response shapes.
 */
class ServerlessLauncherTest {
  private AwsStub stub;
  private EmrServerlessClient client;
  private ServerlessLauncher launcher;
  private final List<String> progress = new ArrayList<>();
  private final FakeClock clock = new FakeClock();

  static ServerlessSpec spec() {
    return ServerlessSpec.builder().executionRoleArn("arn:aws:iam::123456789012:role/p9-serverless-job")
        .logUri(S3Location.parse("s3://p9-bucket/serverless-logs")).maxCapacity("32 vCPU", "128 GB").build();
  }

  static SparkJob job() {
    return new SparkJob("p9 fruits", S3Location.parse("s3://p9-bucket/p9/jars/p9-job-0123456789ab.jar"),
        "io.p9.examples.P9Cli", List.of("run", "--input", "s3://p9-bucket/fruits/Training", "--output",
            "s3://p9-bucket/out/run1"), Map.of("spark.executor.cores", "4"));
  }

  @BeforeEach
  void start() {
    stub = new AwsStub();
    AwsSettings s = stub.settings().build();
    client = s.emrServerless();
    launcher = new ServerlessLauncher(client, new S3Store(s.s3(), RegionPolicy.euOnly()), progress::add);
  }

  @AfterEach
  void stop() {
    client.close();
    stub.close();
  }

  private static ResponseDefinitionBuilder ok(String body) {
    return aResponse().withStatus(200).withHeader("Content-Type", "application/json").withBody(body);
  }

  private static String app(String state) {
    return "{\"application\":{\"applicationId\":\"00fabc123\",\"name\":\"p9\",\"arn\":\"arn:aws:emr-serverless:"
        + "eu-west-1:123456789012:/applications/00fabc123\",\"releaseLabel\":\"emr-7.9.0\",\"type\":\"Spark\","
        + "\"state\":\"" + state + "\",\"createdAt\":1.733328E9,\"updatedAt\":1.733328E9}}";
  }

  private static String run(String state, String details) {
    return "{\"jobRun\":{\"applicationId\":\"00fabc123\",\"jobRunId\":\"00frun456\",\"name\":\"p9 fruits\","
        + "\"arn\":\"arn:aws:emr-serverless:eu-west-1:123456789012:/applications/00fabc123/jobruns/00frun456\","
        + "\"createdBy\":\"arn:aws:iam::123456789012:user/x\",\"createdAt\":1.733328E9,\"updatedAt\":1.733328E9,"
        + "\"executionRole\":\"arn:aws:iam::123456789012:role/p9-serverless-job\",\"state\":\"" + state
        + "\",\"stateDetails\":\"" + details + "\",\"releaseLabel\":\"emr-7.9.0\","
        + "\"jobDriver\":{\"sparkSubmit\":{\"entryPoint\":\"s3://p9-bucket/p9/jars/p9-job.jar\"}}}}";
  }

  @Test
  void createsTheApplicationWhenNoneMatchesAndWaitsUntilCreated() throws Exception {
    stub.server.stubFor(get(urlPathEqualTo("/applications")).willReturn(ok(
        "{\"applications\":[{\"id\":\"00fother\",\"name\":\"p9\",\"arn\":\"arn:x\",\"releaseLabel\":\"emr-6.15.0\","
            + "\"type\":\"Spark\",\"state\":\"STOPPED\",\"createdAt\":1.7E9,\"updatedAt\":1.7E9}]}")));
    stub.server.stubFor(post(urlEqualTo("/applications")).willReturn(ok(
        "{\"applicationId\":\"00fabc123\",\"name\":\"p9\",\"arn\":\"arn:aws:emr-serverless:eu-west-1:123456789012:/applications/00fabc123\"}")));
    stub.server.stubFor(get(urlEqualTo("/applications/00fabc123")).inScenario("app")
        .whenScenarioStateIs(Scenario.STARTED).willReturn(ok(app("CREATING"))).willSetStateTo("created"));
    stub.server.stubFor(get(urlEqualTo("/applications/00fabc123")).inScenario("app")
        .whenScenarioStateIs("created").willReturn(ok(app("CREATED"))));

    String id = launcher.findOrCreateApplication(spec(), clock.backoff(Duration.ofMinutes(10)));

    assertThat(id).isEqualTo("00fabc123");
    var create = stub.server.findAll(postRequestedFor(urlEqualTo("/applications"))).get(0);
    assertThat(create.getHeader("Authorization")).contains("/eu-west-1/emr-serverless/aws4_request");
    JsonNode body = AwsStub.json(create.getBodyAsString());
    assertThat(body.get("name").asText()).isEqualTo("p9");
    assertThat(body.get("type").asText()).isEqualTo("SPARK");
    assertThat(body.get("releaseLabel").asText()).isEqualTo("emr-7.9.0");
    assertThat(body.get("architecture").asText()).isEqualTo("X86_64");
    assertThat(body.at("/autoStopConfiguration/idleTimeoutMinutes").asInt()).isEqualTo(15);
    assertThat(body.at("/maximumCapacity/cpu").asText()).isEqualTo("32 vCPU");
    assertThat(body.get("clientToken").asText()).hasSize(36);
    assertThat(progress).containsExactly("application 00fabc123 'p9' created (emr-7.9.0)",
        "[0s] application 00fabc123 CREATING", "[10s] application 00fabc123 CREATED");
  }

  /** An application as GetApplication returns it in {@code state}, with its maximum capacity and auto-stop. */
  private static String app(String state, String maximumCapacity, int idleMinutes) {
    return app(state).replace("\"state\"", "\"maximumCapacity\":" + maximumCapacity + ",\"autoStopConfiguration\":"
        + "{\"enabled\":true,\"idleTimeoutMinutes\":" + idleMinutes + "},\"state\"");
  }

  private void listed(String state) {
    stub.server.stubFor(get(urlPathEqualTo("/applications")).willReturn(ok(
        "{\"applications\":[{\"id\":\"00fabc123\",\"name\":\"p9\",\"arn\":\"arn:x\",\"releaseLabel\":\"emr-7.9.0\","
            + "\"type\":\"Spark\",\"state\":\"" + state + "\",\"createdAt\":1.7E9,\"updatedAt\":1.7E9}]}")));
  }

  @Test
  void reusesAnApplicationWithTheSameNameAndRelease() throws Exception {
    listed("STOPPED");
    stub.server.stubFor(get(urlEqualTo("/applications/00fabc123")).willReturn(ok(
        app("STOPPED", "{\"cpu\":\"32 vCPU\",\"memory\":\"128 GB\"}", 15))));

    assertThat(launcher.findOrCreateApplication(spec(), clock.backoff(Duration.ofMinutes(10)))).isEqualTo("00fabc123");
    assertThat(stub.server.findAll(postRequestedFor(urlEqualTo("/applications")))).isEmpty();
    assertThat(stub.server.findAll(patchRequestedFor(urlEqualTo("/applications/00fabc123"))))
        .as("its capacity is the one asked: no update").isEmpty();
    assertThat(progress).hasSize(1);
    assertThat(progress.get(0)).contains("reused");
  }

  /**
   * A reused application takes the maximum capacity asked for, not its own: a STOPPED one is updated (keeping its
   * disk limit) before the run; an auto-stop not asked for is left as it is.
   */
  @Test
  void aReusedStoppedApplicationIsUpdatedToTheCapacityAskedFor() throws Exception {
    listed("STOPPED");
    stub.server.stubFor(get(urlEqualTo("/applications/00fabc123")).willReturn(ok(
        app("STOPPED", "{\"cpu\":\"16 vCPU\",\"memory\":\"64 GB\",\"disk\":\"200 GB\"}", 60))));
    stub.server.stubFor(patch(urlEqualTo("/applications/00fabc123")).willReturn(ok(
        app("STOPPED", "{\"cpu\":\"32 vCPU\",\"memory\":\"128 GB\",\"disk\":\"200 GB\"}", 60))));

    assertThat(launcher.findOrCreateApplication(spec(), clock.backoff(Duration.ofMinutes(10)))).isEqualTo("00fabc123");

    var update = stub.server.findAll(patchRequestedFor(urlEqualTo("/applications/00fabc123")));
    assertThat(update).hasSize(1);
    JsonNode body = AwsStub.json(update.get(0).getBodyAsString());
    assertThat(body.at("/maximumCapacity/cpu").asText()).isEqualTo("32 vCPU");
    assertThat(body.at("/maximumCapacity/memory").asText()).isEqualTo("128 GB");
    assertThat(body.at("/maximumCapacity/disk").asText()).isEqualTo("200 GB");
    assertThat(body.has("autoStopConfiguration")).as("--idle-stop not given").isFalse();
    String dry = DryRun.requestJson("emr-serverless", "UpdateApplication", "eu-west-1", ServerlessRequests
        .updateApplication("00fabc123", spec(), "200 GB", body.get("clientToken").asText()).orElseThrow());
    assertThat(AwsStub.json(dry).get("request")).isEqualTo(body);
    assertThat(progress).containsExactly("application 00fabc123 'p9' (emr-7.9.0, X86_64, STOPPED) reused",
        "application 00fabc123 updated: maximum capacity 16 vCPU, 64 GB -> 32 vCPU, 128 GB");
  }

  /**
   * EMR Serverless updates an application only while CREATED or STOPPED: a STARTED one whose auto-stop differs
   * from the one asked for is refused, naming both, before any run starts, rather than used with its own.
   */
  @Test
  void aReusedStartedApplicationWithOtherSettingsIsRefusedBeforeTheRun() {
    listed("STARTED");
    stub.server.stubFor(get(urlEqualTo("/applications/00fabc123")).willReturn(ok(
        app("STARTED", "{\"cpu\":\"32 vCPU\",\"memory\":\"128 GB\"}", 15))));
    ServerlessSpec longer = ServerlessSpec.builder()
        .executionRoleArn("arn:aws:iam::123456789012:role/p9-serverless-job")
        .logUri(S3Location.parse("s3://p9-bucket/serverless-logs")).maxCapacity("32", "128gb")
        .idleStop(Duration.ofMinutes(30)).build();

    assertThatThrownBy(() -> launcher.findOrCreateApplication(longer, clock.backoff(Duration.ofMinutes(10))))
        .isInstanceOf(AwsFailure.class).hasMessageContaining("application 00fabc123 is STARTED")
        .hasMessageContaining("only while it is CREATED or STOPPED: auto-stop after 15 min idle -> after 30 min idle"
            + " not made").hasMessageNotContaining("maximum capacity");
    assertThat(stub.server.findAll(patchRequestedFor(urlEqualTo("/applications/00fabc123")))).isEmpty();
  }

  /**
   * A reused application that is STOPPING takes no update until it has STOPPED: it is waited for, with the back-off
   * and the progress lines of the wait for a CREATING one, then updated, rather than refused.
   */
  @Test
  void aReusedStoppingApplicationWithOtherSettingsIsUpdatedOnceStopped() throws Exception {
    listed("STOPPING");
    String url = "/applications/00fabc123";
    String[] states = {"STOPPING", "STOPPING", "STOPPED"};
    for (int i = 0; i < states.length; i++) {
      var m = get(urlEqualTo(url)).inScenario("app").whenScenarioStateIs(i == 0 ? Scenario.STARTED : "p" + i)
          .willReturn(ok(app(states[i], "{\"cpu\":\"16 vCPU\",\"memory\":\"64 GB\"}", 15)));
      stub.server.stubFor(i + 1 < states.length ? m.willSetStateTo("p" + (i + 1)) : m);
    }
    stub.server.stubFor(patch(urlEqualTo(url)).willReturn(ok(
        app("STOPPED", "{\"cpu\":\"32 vCPU\",\"memory\":\"128 GB\"}", 15))));

    assertThat(launcher.findOrCreateApplication(spec(), clock.backoff(Duration.ofMinutes(10)))).isEqualTo("00fabc123");

    assertThat(stub.server.findAll(getRequestedFor(urlEqualTo(url)))).hasSize(3);
    var update = stub.server.findAll(patchRequestedFor(urlEqualTo(url)));
    assertThat(update).hasSize(1);
    assertThat(AwsStub.json(update.get(0).getBodyAsString()).at("/maximumCapacity/cpu").asText()).isEqualTo("32 vCPU");
    assertThat(clock.sleeps).containsExactly(Duration.ofSeconds(10));
    assertThat(progress).containsExactly("application 00fabc123 'p9' (emr-7.9.0, X86_64, STOPPING) reused",
        "[0s] application 00fabc123 STOPPING", "[10s] application 00fabc123 STOPPED",
        "application 00fabc123 updated: maximum capacity 16 vCPU, 64 GB -> 32 vCPU, 128 GB");
  }

  /** The wait for a STOPPING application to stop is bounded by the back-off's time-out, which says so. */
  @Test
  void aReusedApplicationThatDoesNotStopEndsTheWaitAtTheTimeout() {
    listed("STOPPING");
    stub.server.stubFor(get(urlEqualTo("/applications/00fabc123")).willReturn(ok(
        app("STOPPING", "{\"cpu\":\"16 vCPU\",\"memory\":\"64 GB\"}", 15))));

    assertThatThrownBy(() -> launcher.findOrCreateApplication(spec(), clock.backoff(Duration.ofMinutes(1))))
        .isInstanceOf(TimeoutException.class)
        .hasMessageStartingWith("application 00fabc123 still STOPPING: gave up after 1m");
    assertThat(stub.server.findAll(patchRequestedFor(urlEqualTo("/applications/00fabc123")))).isEmpty();
  }

  /**
   * An application of the other architecture is not reused: {@code --architecture ARM64} gets a Graviton
   * application, not the x86 one of an earlier submit. One listed without an architecture is X86_64, the API's
   * default.
   */
  @Test
  void anApplicationOfAnotherArchitectureIsNotReused() throws Exception {
    stub.server.stubFor(get(urlPathEqualTo("/applications")).willReturn(ok(
        "{\"applications\":[{\"id\":\"00fx86\",\"name\":\"p9\",\"arn\":\"arn:x\",\"releaseLabel\":\"emr-7.9.0\","
            + "\"type\":\"Spark\",\"state\":\"STOPPED\",\"architecture\":\"X86_64\",\"createdAt\":1.7E9,"
            + "\"updatedAt\":1.7E9},{\"id\":\"00fold\",\"name\":\"p9\",\"arn\":\"arn:y\",\"releaseLabel\":"
            + "\"emr-7.9.0\",\"type\":\"Spark\",\"state\":\"STOPPED\",\"createdAt\":1.7E9,\"updatedAt\":1.7E9}]}")));
    stub.server.stubFor(post(urlEqualTo("/applications")).willReturn(ok(
        "{\"applicationId\":\"00fabc123\",\"name\":\"p9\",\"arn\":\"arn:aws:emr-serverless:eu-west-1:123456789012:"
            + "/applications/00fabc123\"}")));
    stub.server.stubFor(get(urlEqualTo("/applications/00fabc123")).willReturn(ok(app("CREATED"))));
    ServerlessSpec arm = ServerlessSpec.builder().executionRoleArn("arn:aws:iam::123456789012:role/p9-serverless-job")
        .logUri(S3Location.parse("s3://p9-bucket/serverless-logs")).architecture("ARM64").build();

    assertThat(launcher.findOrCreateApplication(arm, clock.backoff(Duration.ofMinutes(10)))).isEqualTo("00fabc123");

    var create = stub.server.findAll(postRequestedFor(urlEqualTo("/applications")));
    assertThat(create).as("a new application").hasSize(1);
    assertThat(AwsStub.json(create.get(0).getBodyAsString()).get("architecture").asText()).isEqualTo("ARM64");
  }

  /**
   * An application another submit is still creating is reused once it is CREATED, as one p9 creates is: a
   * CREATING application is not ready to take a run.
   */
  @Test
  void aReusedApplicationStillBeingCreatedIsWaitedForAsANewOneIs() throws Exception {
    stub.server.stubFor(get(urlPathEqualTo("/applications")).willReturn(ok(
        "{\"applications\":[{\"id\":\"00fabc123\",\"name\":\"p9\",\"arn\":\"arn:x\",\"releaseLabel\":\"emr-7.9.0\","
            + "\"type\":\"Spark\",\"state\":\"CREATING\",\"createdAt\":1.7E9,\"updatedAt\":1.7E9}]}")));
    stub.server.stubFor(get(urlEqualTo("/applications/00fabc123")).inScenario("app")
        .whenScenarioStateIs(Scenario.STARTED).willReturn(ok(app("CREATING"))).willSetStateTo("created"));
    stub.server.stubFor(get(urlEqualTo("/applications/00fabc123")).inScenario("app")
        .whenScenarioStateIs("created").willReturn(ok(app("CREATED", "{\"cpu\":\"32 vCPU\",\"memory\":\"128 GB\"}",
            15))));

    assertThat(launcher.findOrCreateApplication(spec(), clock.backoff(Duration.ofMinutes(10)))).isEqualTo("00fabc123");

    assertThat(stub.server.findAll(postRequestedFor(urlEqualTo("/applications")))).as("none created").isEmpty();
    assertThat(stub.server.findAll(getRequestedFor(urlEqualTo("/applications/00fabc123")))).hasSize(2);
    assertThat(progress).containsExactly("application 00fabc123 'p9' (emr-7.9.0, X86_64, CREATING) reused",
        "[0s] application 00fabc123 CREATING", "[10s] application 00fabc123 CREATED");
  }

  /**
   * GETs of {@code url} fail with {@code status} and {@code errorType} 4 times (one poll's SDK attempts), then
   * answer {@code body}.
   */
  private void failingOnePollThenAnswering(String url, int status, String errorType, String body) {
    String state = Scenario.STARTED;
    for (int i = 0; i < 4; i++) {
      stub.server.stubFor(get(urlEqualTo(url)).inScenario(url).whenScenarioStateIs(state).willReturn(
          aResponse().withStatus(status).withHeader("Content-Type", "application/json")
              .withHeader("x-amzn-ErrorType", errorType).withBody("{\"message\":\"try again\"}"))
          .willSetStateTo("failed" + i));
      state = "failed" + i;
    }
    stub.server.stubFor(get(urlEqualTo(url)).inScenario(url).whenScenarioStateIs(state).willReturn(ok(body)));
  }

  /**
   * A GetApplication poll that still fails with a 5xx after the SDK's retries does not end the wait for a new
   * application, as it does not end the wait for a run: the application is being created regardless.
   */
  @Test
  void aPollOfANewApplicationFailingBeyondTheSdksRetriesIsToleratedAndTheWaitGoesOn() throws Exception {
    listed("STOPPED");
    stub.server.stubFor(post(urlEqualTo("/applications")).willReturn(ok(
        "{\"applicationId\":\"00fabc123\",\"name\":\"p9\",\"arn\":\"arn:aws:emr-serverless:eu-west-1:123456789012:"
            + "/applications/00fabc123\"}")));
    String url = "/applications/00fabc123";
    failingOnePollThenAnswering(url, 500, "InternalServerException", app("CREATED"));
    ServerlessSpec arm = ServerlessSpec.builder()
        .executionRoleArn("arn:aws:iam::123456789012:role/p9-serverless-job")
        .logUri(S3Location.parse("s3://p9-bucket/serverless-logs")).architecture("ARM64").build();

    assertThat(launcher.findOrCreateApplication(arm, clock.backoff(Duration.ofMinutes(10)))).isEqualTo("00fabc123");

    assertThat(stub.server.findAll(getRequestedFor(urlEqualTo(url)))).hasSize(5);
    assertThat(progress).containsExactly("application 00fabc123 'p9' created (emr-7.9.0)",
        "[0s] asking about application 00fabc123 failed: InternalServerException (HTTP 500), 1 of 5 tolerated in a"
            + " row; asking again",
        "[10s] application 00fabc123 CREATED");
  }

  @Test
  void startsTheRunAndWaitsThroughItsStatesWithRetriedThrottling() throws Exception {
    stub.server.stubFor(post(urlEqualTo("/applications/00fabc123/jobruns")).willReturn(ok(
        "{\"applicationId\":\"00fabc123\",\"jobRunId\":\"00frun456\",\"arn\":\"arn:x\"}")));
    String[] states = {"SUBMITTED", "THROTTLE", "PENDING", "SCHEDULED", "RUNNING", "RUNNING", "SUCCESS"};
    String url = "/applications/00fabc123/jobruns/00frun456";
    for (int i = 0; i < states.length; i++) {
      String from = i == 0 ? Scenario.STARTED : "p" + i;
      ResponseDefinitionBuilder r = states[i].equals("THROTTLE")
          ? aResponse().withStatus(429).withHeader("Content-Type", "application/json")
              .withHeader("x-amzn-ErrorType", "ThrottlingException").withBody("{\"message\":\"Rate exceeded\"}")
          : ok(run(states[i], ""));
      var m = get(urlEqualTo(url)).inScenario("run").whenScenarioStateIs(from).willReturn(r);
      stub.server.stubFor(i + 1 < states.length ? m.willSetStateTo("p" + (i + 1)) : m);
    }

    String runId = launcher.startJobRun("00fabc123", spec(), job());
    ServerlessLauncher.RunResult r = launcher.waitForJobRun("00fabc123", runId, clock.backoff(Duration.ofHours(3)));

    assertThat(runId).isEqualTo("00frun456");
    assertThat(r.succeeded()).isTrue();
    var start = stub.server.findAll(postRequestedFor(urlEqualTo("/applications/00fabc123/jobruns"))).get(0);
    JsonNode body = AwsStub.json(start.getBodyAsString());
    assertThat(body.get("executionRoleArn").asText()).isEqualTo("arn:aws:iam::123456789012:role/p9-serverless-job");
    assertThat(body.at("/jobDriver/sparkSubmit/entryPoint").asText())
        .isEqualTo("s3://p9-bucket/p9/jars/p9-job-0123456789ab.jar");
    assertThat(body.at("/jobDriver/sparkSubmit/entryPointArguments/0").asText()).isEqualTo("run");
    assertThat(body.at("/jobDriver/sparkSubmit/sparkSubmitParameters").asText())
        .isEqualTo("--class io.p9.examples.P9Cli --conf spark.executor.cores=4");
    assertThat(body.at("/configurationOverrides/monitoringConfiguration/s3MonitoringConfiguration/logUri").asText())
        .isEqualTo("s3://p9-bucket/serverless-logs/");
    assertThat(body.get("executionTimeoutMinutes").asLong()).isEqualTo(180);
    assertThat(body.has("applicationId")).as("in the path, not the body").isFalse();
    // --dry-run prints this body (given the same idempotency token) and the path member.
    String dry = DryRun.requestJson("emr-serverless", "StartJobRun", "eu-west-1",
        ServerlessRequests.startJobRun("00fabc123", spec(), job(), body.get("clientToken").asText()));
    assertThat(AwsStub.json(dry).get("request")).isEqualTo(body);
    assertThat(AwsStub.json(dry).at("/uri/applicationId").asText()).isEqualTo("00fabc123");

    assertThat(stub.server.findAll(getRequestedFor(urlEqualTo(url)))).hasSize(7);
    assertThat(progress.subList(1, progress.size())).extracting(p -> p.replaceAll("^\\[[^]]*] ", ""))
        .containsExactly("job run 00frun456 SUBMITTED", "job run 00frun456 PENDING", "job run 00frun456 SCHEDULED",
            "job run 00frun456 RUNNING", "job run 00frun456 SUCCESS");
    assertThat(clock.sleeps).hasSize(5);
  }

  /** Throttling that outlasts one poll's SDK retries does not end the wait; the run goes on regardless. */
  @Test
  void aPollThrottledBeyondTheSdksRetriesIsToleratedAndTheWaitGoesOn() throws Exception {
    String url = "/applications/00fabc123/jobruns/00frun456";
    failingOnePollThenAnswering(url, 429, "ThrottlingException", run("SUCCESS", ""));

    ServerlessLauncher.RunResult r = launcher.waitForJobRun("00fabc123", "00frun456", clock.backoff(Duration.ofHours(1)));

    assertThat(r.succeeded()).isTrue();
    assertThat(stub.server.findAll(getRequestedFor(urlEqualTo(url)))).hasSize(5);
    assertThat(clock.sleeps).containsExactly(Duration.ofSeconds(10));
    assertThat(progress).containsExactly(
        "[0s] asking about job run 00frun456 failed: ThrottlingException (HTTP 429), 1 of 5 tolerated in a row;"
            + " asking again",
        "[10s] job run 00frun456 SUCCESS");
  }

  @Test
  void failedRunGivesTheReasonAndTheDriverStderr() throws Exception {
    stub.server.stubFor(get(urlEqualTo("/applications/00fabc123/jobruns/00frun456"))
        .willReturn(ok(run("FAILED", "Job failed, please check complete logs in configured logging destination."
            + " ExitCode: 1. Last few exceptions: java.lang.IllegalStateException: only 0 of 0 files"))));
    stub.server.stubFor(get(urlEqualTo(
        "/p9-bucket/serverless-logs/applications/00fabc123/jobs/00frun456/SPARK_DRIVER/stderr.gz"))
        .willReturn(aResponse().withStatus(200).withBody(AwsStub.gzip("line 1\njava.lang.IllegalStateException: "
            + "only 0 of 0 files could be featurized\n"))));

    ServerlessLauncher.RunResult r = launcher.waitForJobRun("00fabc123", "00frun456", clock.backoff(Duration.ofHours(1)));

    assertThat(r.state()).isEqualTo("FAILED");
    assertThat(r.details()).contains("IllegalStateException");
    assertThat(launcher.driverLog("00fabc123", "00frun456", S3Location.parse("s3://p9-bucket/serverless-logs/"),
        "stderr")).hasValueSatisfying(t -> assertThat(t).contains("only 0 of 0 files could be featurized"));
  }

  @Test
  void aMissingApplicationIsAClearError() {
    stub.server.stubFor(get(urlEqualTo("/applications/00fnope/jobruns/00frun456")).willReturn(aResponse()
        .withStatus(404).withHeader("x-amzn-ErrorType", "ResourceNotFoundException")
        .withHeader("Content-Type", "application/json")
        .withBody("{\"message\":\"Application 00fnope does not exist\"}")));

    assertThatThrownBy(() -> launcher.status("00fnope", "00frun456")).isInstanceOf(AwsFailure.class)
        .hasMessageContaining("ResourceNotFoundException").hasMessageContaining("Application 00fnope does not exist");
  }
}
