package io.p9.examples;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.head;
import static com.github.tomakehurst.wiremock.client.WireMock.headRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.matching;
import static com.github.tomakehurst.wiremock.client.WireMock.patch;
import static com.github.tomakehurst.wiremock.client.WireMock.patchRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.putRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.client.MappingBuilder;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import io.p9.aws.DryRun;
import io.p9.aws.s3.S3Location;
import io.p9.aws.s3.S3Store;
import io.p9.aws.testing.AwsStub;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The {@code emr} and {@code serverless} subcommands end to end against an HTTP stub on 127.0.0.1 standing
 * in for STS, S3 and the EMR APIs ({@code --endpoint-url}), with fake keys from a profile file.
 */
class AwsCliTest {
  private static final String JSON_11 = "application/x-amz-json-1.1";
  @TempDir
  static Path dir;
  private static String savedCredentialsFile;
  private static String savedConfigFile;
  private static Path jar;

  private AwsStub stub;
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  @BeforeAll
  static void profiles() throws Exception {
    Path creds = Files.writeString(dir.resolve("credentials"), "[p9test]\naws_access_key_id = " + AwsStub.ACCESS_KEY
        + "\naws_secret_access_key = " + AwsStub.SECRET_KEY + "\n");
    Path config = Files.writeString(dir.resolve("config"), "[profile p9test]\nregion = eu-west-1\n");
    savedCredentialsFile = System.setProperty("aws.sharedCredentialsFile", creds.toString());
    savedConfigFile = System.setProperty("aws.configFile", config.toString());
    jar = Files.write(dir.resolve("p9-examples-test-job.jar"), new byte[] {'P', 'K', 3, 4, 1, 2, 3});
  }

  @AfterAll
  static void restore() {
    restore("aws.sharedCredentialsFile", savedCredentialsFile);
    restore("aws.configFile", savedConfigFile);
  }

  private static void restore(String key, String value) {
    if (value == null) {
      System.clearProperty(key);
    } else {
      System.setProperty(key, value);
    }
  }

  @BeforeEach
  void start() {
    stub = new AwsStub();
  }

  @AfterEach
  void stop() {
    stub.close();
  }

  private int p9(String... args) {
    CommandLine cmd = new CommandLine(new P9Cli());
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    return cmd.execute(args);
  }

  private List<String> aws(String... args) {
    List<String> a = new ArrayList<>(List.of(args));
    a.addAll(List.of("--endpoint-url", stub.endpoint().toString(), "--profile", "p9test"));
    if (a.contains("submit")) {
      a.addAll(List.of("--poll", "20ms"));
    }
    return a;
  }

  private static ResponseDefinitionBuilder json(String body) {
    return aResponse().withStatus(200).withHeader("Content-Type", JSON_11).withBody(body);
  }

  private static MappingBuilder emr(String op) {
    return post(urlEqualTo("/")).withHeader("X-Amz-Target", equalTo("ElasticMapReduce." + op));
  }

  private void stubStsAndBucket() {
    stub.server.stubFor(post(urlEqualTo("/")).withRequestBody(containing("Action=GetCallerIdentity"))
        .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "text/xml").withBody(
            "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult>"
                + "<Arn>arn:aws:iam::123456789012:user/p9-launcher</Arn><UserId>AIDAP9TEST</UserId>"
                + "<Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>r-1"
                + "</RequestId></ResponseMetadata></GetCallerIdentityResponse>")));
    stub.server.stubFor(head(urlEqualTo("/p9-bucket")).willReturn(aResponse().withStatus(200)
        .withHeader("x-amz-bucket-region", "eu-west-1")));
    stub.server.stubFor(head(urlMatching("/p9-bucket/p9/jars/.*")).willReturn(aResponse().withStatus(404)));
    // S3 answers a PUT with the MD5 of the body as ETag; the SDK checks it.
    stub.server.stubFor(put(urlMatching("/p9-bucket/p9/jars/.*")).willReturn(aResponse().withStatus(200)
        .withHeader("ETag", "\"" + md5(jar) + "\"")));
  }

  private void stubStepStates(String... states) {
    stub.server.stubFor(emr("DescribeCluster").willReturn(json("{\"Cluster\":{\"Id\":\"j-P9\",\"Name\":\"p9-fruits\","
        + "\"Status\":{\"State\":\"RUNNING\"},\"LogUri\":\"s3n://p9-bucket/p9/logs/emr/\"}}")));
    for (int i = 0; i < states.length; i++) {
      String step = "{\"Step\":{\"Id\":\"s-P9\",\"Name\":\"p9 fruits\",\"Status\":{\"State\":\"" + states[i] + "\""
          + (states[i].equals("FAILED") ? ",\"FailureDetails\":{\"Reason\":\"Unknown Error.\",\"Message\":"
              + "\"Exception in thread main\",\"LogFile\":\"s3://p9-bucket/p9/logs/emr/j-P9/steps/s-P9/stderr.gz\"}"
              : "") + "}}}";
      var m = emr("DescribeStep").inScenario("step").whenScenarioStateIs(i == 0 ? Scenario.STARTED : "s" + i)
          .willReturn(json(step));
      stub.server.stubFor(i + 1 < states.length ? m.willSetStateTo("s" + (i + 1)) : m);
    }
  }

  private static String md5(Path file) {
    try {
      return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("MD5")
          .digest(Files.readAllBytes(file)));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void emrSubmitUploadsTheJarLaunchesTheClusterAndWaits() {
    stubStsAndBucket();
    stub.server.stubFor(emr("RunJobFlow").willReturn(json("{\"JobFlowId\":\"j-P9\"}")));
    stub.server.stubFor(emr("ListSteps").willReturn(json(
        "{\"Steps\":[{\"Id\":\"s-P9\",\"Name\":\"p9 fruits\",\"Status\":{\"State\":\"PENDING\"}}]}")));
    stubStepStates("PENDING", "RUNNING", "COMPLETED");

    int rc = p9(aws("emr", "submit", "--bucket", "p9-bucket", "--input", "s3://p9-bucket/fruits/Training",
        "--output", "s3://p9-bucket/out/run1", "--jar", jar.toString(), "--spot", "--k", "20").toArray(String[]::new));

    assertThat(rc).as(err.toString()).isZero();
    assertThat(out.toString()).contains("cluster j-P9 step s-P9", "output s3://p9-bucket/out/run1",
        "done: features, pipeline model and report.json under s3://p9-bucket/out/run1");
    assertThat(err.toString()).contains("AWS account 123456789012 as arn:aws:iam::123456789012:user/p9-launcher",
        "job jar at s3://p9-bucket/p9/jars/p9-examples-test-job-", "cluster j-P9 RUNNING, step s-P9 PENDING",
        "step s-P9 RUNNING", "step s-P9 COMPLETED");
    var puts = stub.server.findAll(putRequestedFor(urlMatching("/p9-bucket/p9/jars/.*")));
    assertThat(puts).hasSize(1);
    assertThat(puts.get(0).getHeader("x-amz-meta-p9-sha256")).hasSize(64);
    JsonNode body = AwsStub.json(stub.server.findAll(postRequestedFor(urlEqualTo("/"))
        .withHeader("X-Amz-Target", equalTo("ElasticMapReduce.RunJobFlow"))).get(0).getBodyAsString());
    List<String> args = new ArrayList<>();
    body.at("/Steps/0/HadoopJarStep/Args").forEach(a -> args.add(a.asText()));
    assertThat(args).containsSequence("--class", "io.p9.examples.P9Cli").contains(
        "s3://p9-bucket/" + puts.get(0).getUrl().substring("/p9-bucket/".length()));
    assertThat(args.subList(args.indexOf("run"), args.size())).containsExactly("run", "--input",
        "s3://p9-bucket/fruits/Training", "--output", "s3://p9-bucket/out/run1", "--model", P9Cli.BUNDLED_MODEL,
        "--k", "20", "--region", "eu-west-1");
    assertThat(body.get("LogUri").asText()).isEqualTo("s3://p9-bucket/p9/logs/emr/");
    assertThat(body.at("/Instances/InstanceGroups/1/Market").asText()).isEqualTo("SPOT");
  }

  @Test
  void aNameAwsWouldRejectIsRefusedBeforeTheJarIsUploaded() {
    stubStsAndBucket();
    for (String command : List.of("emr", "serverless")) {
      err.getBuffer().setLength(0);
      List<String> a = new ArrayList<>(List.of(command, "submit", "--bucket", "p9-bucket", "--input",
          "s3://p9-bucket/in", "--jar", jar.toString(), "--name", "n".repeat(257)));
      if (command.equals("serverless")) {
        a.addAll(List.of("--execution-role-arn", "arn:aws:iam::123456789012:role/p9-job"));
      }
      assertThat(p9(aws(a.toArray(String[]::new)).toArray(String[]::new))).as(command + " " + err).isEqualTo(2);
      assertThat(err.toString()).as(command).contains("p9: job name 'nnn", "(257 characters) is refused by AWS");
    }
    assertThat(stub.server.findAll(anyRequestedFor(anyUrl()))).isEmpty();
  }

  @Test
  void whatStartJobRunCannotTakeIsRefusedBeforeTheJarIsUploaded() {
    stubStsAndBucket();
    Map<List<String>, String> refused = Map.of(
        List.of("--spark-conf", "spark.driver.extraJavaOptions=-Da=1 -Db=2"),
        "p9: EMR Serverless cannot pass a --conf value with spaces: spark.driver.extraJavaOptions",
        List.of("--", "--master", " "), "p9: EMR Serverless cannot pass a blank job argument: argument 13 of 13");
    refused.forEach((bad, message) -> {
      err.getBuffer().setLength(0);
      List<String> a = new ArrayList<>(List.of("serverless", "submit", "--bucket", "p9-bucket", "--input",
          "s3://p9-bucket/in", "--jar", jar.toString(), "--execution-role-arn",
          "arn:aws:iam::123456789012:role/p9-job"));
      a.addAll(bad);
      List<String> args = aws(a.toArray(String[]::new));
      if (bad.contains("--")) {
        // the job's arguments stay last
        args.removeAll(bad);
        args.addAll(bad);
      }
      assertThat(p9(args.toArray(String[]::new))).as(bad + " " + err).isEqualTo(2);
      assertThat(err.toString()).as(bad.toString()).contains(message);
    });
    assertThat(stub.server.findAll(anyRequestedFor(anyUrl()))).isEmpty();
  }

  @Test
  void anApplicationIdAwsWouldRejectIsRefusedBeforeTheJarIsUploaded() {
    stubStsAndBucket();
    int rc = p9(aws("serverless", "submit", "--application-id", "00F-existing", "--bucket", "p9-bucket", "--input",
        "s3://p9-bucket/in", "--jar", jar.toString(), "--execution-role-arn", "arn:aws:iam::123456789012:role/p9-job")
        .toArray(String[]::new));

    assertThat(rc).as(err.toString()).isEqualTo(2);
    assertThat(err.toString()).contains("p9: EMR Serverless application id '00F-existing' (12 characters) is refused"
        + " by AWS: it takes 1 to 64 characters, among 0-9 a-z");
    assertThat(stub.server.findAll(anyRequestedFor(anyUrl()))).isEmpty();
  }

  @Test
  void aStepArgumentEmrWouldRejectIsRefusedBeforeTheJarIsUploaded() {
    stubStsAndBucket();
    int rc = p9(aws("emr", "submit", "--bucket", "p9-bucket", "--input", "s3://p9-bucket/in", "--jar", jar.toString(),
        "--spark-conf", "spark.x=" + "v".repeat(10_273)).toArray(String[]::new));

    assertThat(rc).as(err.toString()).isEqualTo(2);
    assertThat(err.toString()).contains("p9: an EMR step argument has at most 10280 characters", ") has 10281");
    assertThat(stub.server.findAll(anyRequestedFor(anyUrl()))).isEmpty();
  }

  /** DescribeCluster of the running cluster j-EXISTING: {@code state}, logs under {@code logUri} (or none). */
  private void stubExistingCluster(String state, String logUri) {
    stub.server.stubFor(emr("DescribeCluster").withRequestBody(containing("j-EXISTING")).willReturn(json(
        "{\"Cluster\":{\"Id\":\"j-EXISTING\",\"Name\":\"shared\",\"Status\":{\"State\":\"" + state + "\"}"
            + (logUri != null ? ",\"LogUri\":\"" + logUri + "\"" : "") + "}}")));
  }

  @Test
  void aStepAddedToAnExistingClusterNeverEndsIt() {
    stubStsAndBucket();
    stub.server.stubFor(head(urlEqualTo("/shared-logs")).willReturn(aResponse().withStatus(301)
        .withHeader("x-amz-bucket-region", "eu-central-1")));
    stubExistingCluster("WAITING", "s3n://shared-logs/emr/");
    stub.server.stubFor(emr("AddJobFlowSteps").willReturn(json("{\"StepIds\":[\"s-P9\"]}")));

    int rc = p9(aws("emr", "submit", "--cluster-id", "j-EXISTING", "--bucket", "p9-bucket", "--input",
        "s3://p9-bucket/in", "--jar", jar.toString(), "--no-wait").toArray(String[]::new));

    assertThat(rc).as(err.toString()).isZero();
    assertThat(out.toString()).contains("cluster j-EXISTING step s-P9");
    assertThat(stub.server.findAll(headRequestedFor(urlEqualTo("/shared-logs")))).as("the cluster's log bucket")
        .hasSize(1);
    JsonNode body = AwsStub.json(stub.server.findAll(postRequestedFor(urlEqualTo("/"))
        .withHeader("X-Amz-Target", equalTo("ElasticMapReduce.AddJobFlowSteps"))).get(0).getBodyAsString());
    assertThat(body.get("JobFlowId").asText()).isEqualTo("j-EXISTING");
    assertThat(body.at("/Steps/0/ActionOnFailure").asText()).as("someone else's cluster").isEqualTo("CONTINUE");

    out.getBuffer().setLength(0);
    rc = p9(aws("emr", "submit", "--cluster-id", "j-EXISTING", "--bucket", "p9-bucket", "--input",
        "s3://p9-bucket/in", "--jar", jar.toString(), "--dry-run").toArray(String[]::new));
    assertThat(rc).as(err.toString()).isZero();
    String o = out.toString();
    String json = o.substring(o.indexOf("{"), o.indexOf("# the same with the AWS CLI"));
    assertThat(AwsStub.json(json).at("/request/Steps/0/ActionOnFailure").asText()).isEqualTo("CONTINUE");
    assertThat(o).contains("aws emr add-steps", "\"ActionOnFailure\":\"CONTINUE\"")
        .doesNotContain("TERMINATE_CLUSTER");
    assertThat(o).contains(": p9-bucket, and the bucket of j-EXISTING's own log URI (read with DescribeCluster)"
        + System.lineSeparator());
  }

  @Test
  void anExistingClusterLoggingOutsideTheEuOrEndedIsRefusedBeforeAnythingRuns() {
    stubStsAndBucket();
    stub.server.stubFor(head(urlEqualTo("/us-logs")).willReturn(aResponse().withStatus(301)
        .withHeader("x-amz-bucket-region", "us-east-1")));
    stub.server.stubFor(emr("AddJobFlowSteps").willReturn(json("{\"StepIds\":[\"s-P9\"]}")));
    String[] submit = aws("emr", "submit", "--cluster-id", "j-EXISTING", "--bucket", "p9-bucket", "--input",
        "s3://p9-bucket/in", "--jar", jar.toString(), "--no-wait").toArray(String[]::new);

    stubExistingCluster("RUNNING", "s3://us-logs/emr/");
    assertThat(p9(submit)).as(err.toString()).isEqualTo(CliSupport.USAGE);
    assertThat(err.toString()).contains("p9: bucket 'us-logs' is in us-east-1, outside the allowed regions");

    for (String state : List.of("TERMINATING", "TERMINATED", "TERMINATED_WITH_ERRORS")) {
      err.getBuffer().setLength(0);
      stubExistingCluster(state, "s3://p9-bucket/logs/");
      assertThat(p9(submit)).as(state + " " + err).isEqualTo(CliSupport.USAGE);
      assertThat(err.toString()).contains("p9: cluster j-EXISTING is " + state + " and takes no more steps;"
          + " start a new one (leave out --cluster-id)");
    }
    assertThat(stub.server.findAll(putRequestedFor(anyUrl()))).as("no upload").isEmpty();
    assertThat(stub.server.findAll(postRequestedFor(urlEqualTo("/"))
        .withHeader("X-Amz-Target", equalTo("ElasticMapReduce.AddJobFlowSteps")))).as("no step").isEmpty();
  }

  @Test
  void optionsThatShapeANewClusterAreRefusedWithAClusterId() {
    int rc = p9(aws("emr", "submit", "--cluster-id", "j-EXISTING", "--bucket", "p9-bucket", "--input",
        "s3://p9-bucket/in", "--jar", jar.toString(), "--log-uri", "s3://p9-bucket/logs/", "--spot", "--dry-run")
        .toArray(String[]::new));

    assertThat(rc).isEqualTo(CliSupport.USAGE);
    assertThat(err.toString()).contains("p9: --spot, --log-uri shape a cluster p9 creates; with --cluster-id the"
        + " step runs on j-EXISTING as it is");
    assertThat(out.toString()).as("refused before the dry run prints anything").isEmpty();
    assertThat(stub.server.getAllServeEvents()).as("no AWS call").isEmpty();

    // every name in the list is one of the command's options, so none is silently never checked
    CommandLine submit = new CommandLine(new P9Cli()).getSubcommands().get("emr").getSubcommands().get("submit");
    assertThat(EmrCommands.Submit.CLUSTER_OPTIONS).allSatisfy(name ->
        assertThat(submit.getCommandSpec().findOption(name)).as(name).isNotNull());
  }

  /**
   * {@code --idle-timeout} applies to a kept-alive cluster only (the AutoTerminationPolicy is sent with
   * {@code --keep-alive}): without it the value was dropped without a word; it is refused naming both options.
   * A value out of range is refused as the user typed it.
   */
  @Test
  void anIdleTimeoutNeedsKeepAliveAndIsEchoedAsTyped() {
    List<String> base = List.of("emr", "submit", "--bucket", "p9-bucket", "--input", "s3://p9-bucket/in", "--jar",
        jar.toString(), "--dry-run", "--idle-timeout", "2h");
    assertThat(p9(aws(base.toArray(String[]::new)).toArray(String[]::new))).as(err.toString())
        .isEqualTo(CliSupport.USAGE);
    assertThat(err.toString()).contains("p9: --idle-timeout needs --keep-alive: without it the cluster ends"
        + " after its step");
    assertThat(out.toString()).as("refused before the dry run prints anything").isEmpty();

    List<String> kept = new ArrayList<>(base);
    kept.add("--keep-alive");
    assertThat(p9(aws(kept.toArray(String[]::new)).toArray(String[]::new))).as(err.toString()).isZero();
    assertThat(out.toString()).contains("\"IdleTimeout\": 7200");

    err.getBuffer().setLength(0);
    out.getBuffer().setLength(0);
    kept.set(kept.indexOf("2h"), "8d");
    assertThat(p9(aws(kept.toArray(String[]::new)).toArray(String[]::new))).isEqualTo(CliSupport.USAGE);
    assertThat(err.toString()).contains("p9: --idle-timeout must be 1m to 7d, not '8d'");
    assertThat(stub.server.findAll(anyRequestedFor(anyUrl()))).isEmpty();
  }

  /**
   * One submit hashes the job jar once: the jar the step runs is the object the upload put, even if the jar
   * is built again while p9 checks the credentials. (The job's jar argument came from one hash, the upload's
   * name from another, so the step named an object that was never uploaded.)
   */
  @Test
  void theStepRunsTheJarTheSubmitUploadedEvenIfItIsRebuiltMeanwhile() throws Exception {
    Path racy = jarRebuiltWhileTheCredentialsAreChecked("racy-job.jar");
    stubStsAndBucket();
    stubRebuiltJarPut();
    stub.server.stubFor(emr("RunJobFlow").willReturn(json("{\"JobFlowId\":\"j-P9\"}")));
    stub.server.stubFor(emr("ListSteps").willReturn(json(
        "{\"Steps\":[{\"Id\":\"s-P9\",\"Name\":\"p9 fruits\",\"Status\":{\"State\":\"PENDING\"}}]}")));
    stubStepStates("COMPLETED");

    int rc = p9(aws("emr", "submit", "--bucket", "p9-bucket", "--input", "s3://p9-bucket/in", "--jar",
        racy.toString()).toArray(String[]::new));

    assertThat(rc).as(err.toString()).isZero();
    var puts = stub.server.findAll(putRequestedFor(urlMatching("/p9-bucket/p9/jars/.*")));
    assertThat(puts).hasSize(1);
    String uploaded = "s3://p9-bucket/" + puts.get(0).getUrl().substring("/p9-bucket/".length());
    JsonNode body = AwsStub.json(stub.server.findAll(postRequestedFor(urlEqualTo("/"))
        .withHeader("X-Amz-Target", equalTo("ElasticMapReduce.RunJobFlow"))).get(0).getBodyAsString());
    List<String> args = new ArrayList<>();
    body.at("/Steps/0/HadoopJarStep/Args").forEach(a -> args.add(a.asText()));
    assertThat(args).as("the step's jar").filteredOn(a -> a.contains("/p9/jars/")).containsExactly(uploaded);
  }

  /** The same for EMR Serverless: the job run's entry point is the jar the submit uploaded. */
  @Test
  void theServerlessRunRunsTheJarTheSubmitUploadedEvenIfItIsRebuiltMeanwhile() throws Exception {
    Path racy = jarRebuiltWhileTheCredentialsAreChecked("racy-serverless-job.jar");
    stubServerlessRun("SUCCESS");
    stubRebuiltJarPut();

    int rc = p9(aws("serverless", "submit", "--bucket", "p9-bucket", "--input", "s3://p9-bucket/in", "--jar",
        racy.toString(), "--execution-role-arn", "arn:aws:iam::123456789012:role/p9-job").toArray(String[]::new));

    assertThat(rc).as(err.toString()).isZero();
    var puts = stub.server.findAll(putRequestedFor(urlMatching("/p9-bucket/p9/jars/.*")));
    assertThat(puts).hasSize(1);
    String uploaded = "s3://p9-bucket/" + puts.get(0).getUrl().substring("/p9-bucket/".length());
    JsonNode start = AwsStub.json(stub.server.findAll(postRequestedFor(urlEqualTo("/applications/00fapp/jobruns")))
        .get(0).getBodyAsString());
    assertThat(start.at("/jobDriver/sparkSubmit/entryPoint").asText()).as("the run's jar").isEqualTo(uploaded);
  }

  private static final byte[] REBUILT = {'P', 'K', 3, 4, 9, 9};

  /**
   * A job jar at {@code name} that is built again ({@link #REBUILT}) while STS answers GetCallerIdentity, after
   * the submit read the options and before it uploads: the stub is replaced by one that does so.
   */
  private Path jarRebuiltWhileTheCredentialsAreChecked(String name) throws java.io.IOException {
    Path racy = Files.write(dir.resolve(name), new byte[] {'P', 'K', 3, 4, 9});
    stub.close();
    stub = new AwsStub(new com.github.tomakehurst.wiremock.extension.ServeEventListener() {
      @Override
      public void beforeResponseSent(com.github.tomakehurst.wiremock.stubbing.ServeEvent event,
          com.github.tomakehurst.wiremock.extension.Parameters parameters) {
        if (event.getRequest().getBodyAsString().contains("Action=GetCallerIdentity")) {
          try {
            Files.write(racy, REBUILT);
          } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        }
      }

      @Override
      public String getName() {
        return "rebuild-the-jar";
      }
    });
    return racy;
  }

  /** PUTs of the racy jars, answered with the MD5 of {@link #REBUILT} as ETag (the SDK checks it). */
  private void stubRebuiltJarPut() throws Exception {
    stub.server.stubFor(put(urlMatching("/p9-bucket/p9/jars/racy-.*")).willReturn(aResponse().withStatus(200)
        .withHeader("ETag", "\"" + java.util.HexFormat.of().formatHex(
            java.security.MessageDigest.getInstance("MD5").digest(REBUILT)) + "\"")));
  }

  @Test
  void aFailedStepPrintsItsReasonAndStderr() {
    stubStsAndBucket();
    stub.server.stubFor(emr("RunJobFlow").willReturn(json("{\"JobFlowId\":\"j-P9\"}")));
    stub.server.stubFor(emr("ListSteps").willReturn(json("{\"Steps\":[{\"Id\":\"s-P9\",\"Name\":\"p9 fruits\"}]}")));
    stubStepStates("PENDING", "FAILED");
    stub.server.stubFor(get(urlEqualTo("/p9-bucket/p9/logs/emr/j-P9/steps/s-P9/stderr.gz")).willReturn(
        aResponse().withStatus(200).withBody(AwsStub.gzip("java.io.FileNotFoundException: s3://p9-bucket/nope\n"))));

    int rc = p9(aws("emr", "submit", "--bucket", "p9-bucket", "--input", "s3://p9-bucket/nope", "--jar",
        jar.toString()).toArray(String[]::new));

    assertThat(rc).isEqualTo(1);
    assertThat(err.toString()).contains("p9: step s-P9 FAILED: Unknown Error. - Exception in thread main",
        "---- stderr (end) ----", "java.io.FileNotFoundException: s3://p9-bucket/nope");
  }

  /**
   * A step that a failing cluster cancelled before it started (no start time in its timeline) never wrote a stderr:
   * submit says so, rather than that the log is not on S3 yet, and looks for none.
   */
  @Test
  void aStepThatNeverStartedSaysSoRatherThanWaitForItsLog() {
    stubStsAndBucket();
    stub.server.stubFor(emr("RunJobFlow").willReturn(json("{\"JobFlowId\":\"j-P9\"}")));
    stub.server.stubFor(emr("ListSteps").willReturn(json("{\"Steps\":[{\"Id\":\"s-P9\",\"Name\":\"p9 fruits\"}]}")));
    stub.server.stubFor(emr("DescribeCluster").willReturn(json("{\"Cluster\":{\"Id\":\"j-P9\",\"Name\":"
        + "\"p9-fruits\",\"Status\":{\"State\":\"TERMINATED_WITH_ERRORS\",\"StateChangeReason\":{\"Code\":"
        + "\"VALIDATION_ERROR\",\"Message\":\"The subnet ID 'subnet-0abc' does not exist\"}},"
        + "\"LogUri\":\"s3n://p9-bucket/p9/logs/emr/\"}}")));
    stub.server.stubFor(emr("DescribeStep").willReturn(json("{\"Step\":{\"Id\":\"s-P9\",\"Name\":\"p9 fruits\","
        + "\"Status\":{\"State\":\"CANCELLED\",\"Timeline\":{\"CreationDateTime\":1.733328E9}}}}")));

    int rc = p9(aws("emr", "submit", "--bucket", "p9-bucket", "--input", "s3://p9-bucket/in", "--jar",
        jar.toString()).toArray(String[]::new));

    assertThat(rc).isEqualTo(1);
    assertThat(err.toString()).contains("p9: step s-P9 CANCELLED: cluster j-P9 TERMINATED_WITH_ERRORS,"
        + " VALIDATION_ERROR - The subnet ID 'subnet-0abc' does not exist",
        "p9: step s-P9 never started (EMR gives it no start time), so it has no stderr").doesNotContain("not on S3");
    assertThat(stub.server.findAll(getRequestedFor(urlMatching(".*/steps/s-P9/.*")))).as("no log read").isEmpty();
  }

  @Test
  void dryRunCallsNothingAndPrintsRequestsAndCommands() {
    int rc = p9(aws("emr", "submit", "--bucket", "p9-bucket", "--input", "s3://p9-bucket/in", "--jar",
        jar.toString(), "--dry-run", "--fleets", "--core-type", "m5.xlarge,m6i.xlarge", "--spot",
        "--security-configuration", "p9-sec", "--keep-alive", "--tag", "team=ml").toArray(String[]::new));

    assertThat(rc).as(err.toString()).isZero();
    assertThat(stub.server.findAll(anyRequestedFor(anyUrl()))).isEmpty();
    String o = out.toString();
    assertThat(o).contains("aws s3 cp " + jar, "--metadata p9-sha256=" + S3Store.sha256(jar),
        "\"operation\": \"RunJobFlow\"", "\"TargetSpotCapacity\": 2", "aws emr create-cluster", "--instance-fleets", "--security-configuration p9-sec", "--no-auto-terminate",
        "--tags project=p9 team=ml");
    String json = o.substring(o.indexOf("{"), o.indexOf("# the same with the AWS CLI"));
    assertThat(AwsStub.json(json).at("/request/SecurityConfiguration").asText()).isEqualTo("p9-sec");

    out.getBuffer().setLength(0);
    rc = p9(aws("serverless", "submit", "--bucket", "p9-bucket", "--input", "s3://p9-bucket/in", "--jar",
        jar.toString(), "--dry-run", "--execution-role-arn", "arn:aws:iam::123456789012:role/p9-job")
        .toArray(String[]::new));
    assertThat(rc).as(err.toString()).isZero();
    assertThat(out.toString()).contains("\"operation\": \"CreateApplication\"", "\"operation\": \"StartJobRun\"",
        "aws emr-serverless create-application", "aws emr-serverless start-job-run",
        "--application-id \"$APPLICATION_ID\"");
    assertThat(stub.server.findAll(anyRequestedFor(anyUrl()))).isEmpty();
  }

  /**
   * In a region launched after March 2019 that the account has not enabled (Milan, Spain, Zurich in Europe), STS
   * refuses valid credentials as InvalidClientTokenId: the error names that cause too, and how to enable the region.
   */
  @Test
  void credentialsRefusedInAnOptInRegionSayHowToEnableIt() {
    stub.server.stubFor(post(urlEqualTo("/")).withRequestBody(containing("Action=GetCallerIdentity"))
        .willReturn(aResponse().withStatus(403).withHeader("Content-Type", "text/xml").withBody(
            "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type>"
                + "<Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid."
                + "</Message></Error><RequestId>r-1</RequestId></ErrorResponse>")));

    for (String region : List.of("eu-south-1", "eu-west-1")) {
      err.getBuffer().setLength(0);
      int rc = p9(aws("emr", "submit", "--bucket", "p9-bucket", "--input", "s3://p9-bucket/in", "--jar",
          jar.toString(), "--region", region).toArray(String[]::new));

      assertThat(rc).as(region).isEqualTo(2);
      assertThat(err.toString()).as(region).startsWith("p9: the AWS credentials were refused while checking the AWS"
          + " credentials (InvalidClientTokenId: ");
      if (region.equals("eu-south-1")) {
        assertThat(err.toString()).contains("or the account has not enabled eu-south-1, a region AWS launched after"
            + " March 2019: aws account enable-region --region-name eu-south-1");
      } else {
        assertThat(err.toString()).as("enabled in every account").doesNotContain("enable-region");
      }
    }
    assertThat(stub.server.findAll(headRequestedFor(anyUrl()))).as("no bucket checked").isEmpty();
  }

  @Test
  void missingCredentialsAreAClearError() {
    int rc = p9("emr", "submit", "--bucket", "p9-bucket", "--input", "s3://p9-bucket/in", "--jar", jar.toString(),
        "--endpoint-url", stub.endpoint().toString(), "--profile", "p9-nobody");

    assertThat(rc).isEqualTo(2);
    assertThat(err.toString()).startsWith("p9: no usable AWS credentials while checking the AWS credentials")
        .contains("p9-nobody");
    assertThat(stub.server.findAll(anyRequestedFor(anyUrl()))).as("nothing sent unsigned").isEmpty();
  }

  /** A bucket name S3 would refuse is refused up front with the rule it breaks, before any AWS call. */
  @Test
  void aBucketNameAgainstS3sRulesIsRefusedBeforeAnyCall() {
    for (String command : List.of("emr", "serverless")) {
      err.getBuffer().setLength(0);
      List<String> a = new ArrayList<>(List.of(command, "submit", "--bucket", "p9-bucket", "--input",
          "s3://192.168.1.1/in", "--jar", jar.toString()));
      if (command.equals("serverless")) {
        a.addAll(List.of("--execution-role-arn", "arn:aws:iam::123456789012:role/p9-job"));
      }

      assertThat(p9(aws(a.toArray(String[]::new)).toArray(String[]::new))).as(command).isEqualTo(CliSupport.USAGE);
      assertThat(err.toString()).as(command).contains("'192.168.1.1' is not a valid S3 bucket name: not formatted"
          + " as an IP address (S3's bucket naming rules)");
    }
    assertThat(stub.server.getAllServeEvents()).as("no AWS call").isEmpty();
  }

  @Test
  void aMissingBucketIsAClearError() {
    stubStsAndBucket();
    stub.server.stubFor(head(urlEqualTo("/p9-nobucket")).willReturn(aResponse().withStatus(404)));

    int rc = p9(aws("emr", "submit", "--bucket", "p9-nobucket", "--input", "s3://p9-nobucket/in", "--jar",
        jar.toString()).toArray(String[]::new));

    assertThat(rc).isEqualTo(2);
    assertThat(err.toString()).contains("p9: bucket 'p9-nobucket' does not exist",
        "aws s3 mb s3://p9-nobucket --region eu-west-1");
    assertThat(stub.server.findAll(postRequestedFor(urlEqualTo("/"))
        .withHeader("X-Amz-Target", matching("ElasticMapReduce.*")))).isEmpty();
  }

  @Test
  void aBucketOutsideTheEuIsRefused() {
    stubStsAndBucket();
    stub.server.stubFor(head(urlEqualTo("/p9-us")).willReturn(aResponse().withStatus(200)
        .withHeader("x-amz-bucket-region", "us-east-1")));

    int rc = p9(aws("emr", "submit", "--bucket", "p9-us", "--input", "s3://p9-us/in", "--jar", jar.toString())
        .toArray(String[]::new));

    assertThat(rc).isEqualTo(2);
    assertThat(err.toString()).contains("bucket 'p9-us' is in us-east-1, outside the allowed regions");
  }

  @Test
  void inputAndOutputBucketsOutsideTheEuAreRefusedBeforeAnythingRuns() {
    stubStsAndBucket();
    // S3 answers a HeadBucket for another region with a redirect naming the bucket's region.
    stub.server.stubFor(head(urlEqualTo("/p9-us-in")).willReturn(aResponse().withStatus(301)
        .withHeader("x-amz-bucket-region", "us-east-1")));
    stub.server.stubFor(head(urlEqualTo("/p9-us-out")).willReturn(aResponse().withStatus(301)
        .withHeader("x-amz-bucket-region", "us-west-2")));

    int rc = p9(aws("emr", "submit", "--bucket", "p9-bucket", "--input", "s3://p9-us-in/fruits", "--jar",
        jar.toString()).toArray(String[]::new));
    assertThat(rc).isEqualTo(2);
    assertThat(err.toString()).contains("p9: bucket 'p9-us-in' is in us-east-1, outside the allowed regions");

    rc = p9(aws("serverless", "submit", "--bucket", "p9-bucket", "--input", "s3://p9-bucket/in", "--output",
        "s3a://p9-us-out/run1", "--jar", jar.toString(), "--execution-role-arn",
        "arn:aws:iam::123456789012:role/p9-job").toArray(String[]::new));
    assertThat(rc).isEqualTo(2);
    assertThat(err.toString()).contains("p9: bucket 'p9-us-out' is in us-west-2, outside the allowed regions");

    assertThat(stub.server.findAll(postRequestedFor(urlEqualTo("/"))
        .withHeader("X-Amz-Target", matching("ElasticMapReduce.*")))).as("no EMR call").isEmpty();
    assertThat(stub.server.findAll(anyRequestedFor(urlMatching("/applications.*")))).as("no EMR Serverless call")
        .isEmpty();
    assertThat(stub.server.findAll(putRequestedFor(anyUrl()))).as("no upload").isEmpty();

    // A dry run calls nothing, as for --bucket: it says what a real run checks first.
    out.getBuffer().setLength(0);
    stub.server.resetRequests();
    rc = p9(aws("emr", "submit", "--bucket", "p9-bucket", "--input", "s3://p9-us-in/fruits", "--jar",
        jar.toString(), "--dry-run").toArray(String[]::new));
    assertThat(rc).as(err.toString()).isZero();
    assertThat(stub.server.findAll(anyRequestedFor(anyUrl()))).isEmpty();
    assertThat(out.toString()).contains("# 0. a real run first checks that these buckets exist in the allowed"
        + " regions [eu-central-1, eu-north-1, eu-south-1, eu-south-2, eu-west-1, eu-west-3]: p9-bucket, p9-us-in");
  }

  @Test
  void inputAndOutputBucketsInTheEuPassEachCheckedOnce() {
    stubStsAndBucket();
    stub.server.stubFor(head(urlEqualTo("/p9-frankfurt")).willReturn(aResponse().withStatus(301)
        .withHeader("x-amz-bucket-region", "eu-central-1")));
    stub.server.stubFor(emr("RunJobFlow").willReturn(json("{\"JobFlowId\":\"j-P9\"}")));
    stub.server.stubFor(emr("ListSteps").willReturn(json(
        "{\"Steps\":[{\"Id\":\"s-P9\",\"Name\":\"p9 fruits\",\"Status\":{\"State\":\"PENDING\"}}]}")));

    int rc = p9(aws("emr", "submit", "--bucket", "p9-bucket", "--input", "s3://p9-frankfurt/fruits/Training",
        "--output", "s3a://p9-frankfurt/out/run1", "--model", "s3://p9-frankfurt/models/m.onnx", "--log-uri",
        "s3://p9-frankfurt/logs/", "--spark-conf", "spark.eventLog.dir=s3a://p9-bucket/events/", "--jar",
        jar.toString(), "--no-wait").toArray(String[]::new));

    assertThat(rc).as(err.toString()).isZero();
    assertThat(out.toString()).contains("cluster j-P9 step s-P9");
    assertThat(stub.server.findAll(headRequestedFor(urlEqualTo("/p9-frankfurt")))).hasSize(1);
    assertThat(stub.server.findAll(headRequestedFor(urlEqualTo("/p9-bucket")))).hasSize(1);
  }

  /**
   * The job reaches {@code s3a://} buckets with S3A, which sends every request to {@code --region}'s endpoint
   * unless told a bucket's region (S3 answers 301 for a bucket of another region): each bucket the submit found
   * in another allowed region goes to the job as {@code --s3-bucket-region BUCKET=REGION}, so that its S3A
   * settings give that bucket its region's endpoint. A bucket in {@code --region} needs nothing.
   */
  @Test
  void bucketsInAnotherAllowedRegionAreGivenToTheJobWithTheirRegion() {
    stubServerlessRun("SUCCESS");
    stub.server.stubFor(head(urlEqualTo("/p9-frankfurt")).willReturn(aResponse().withStatus(301)
        .withHeader("x-amz-bucket-region", "eu-central-1")));
    stub.server.stubFor(head(urlEqualTo("/p9.paris.example")).willReturn(aResponse().withStatus(403)
        .withHeader("x-amz-bucket-region", "eu-west-3")));
    stub.server.stubFor(head(urlEqualTo("/p9-dublin")).willReturn(aResponse().withStatus(200)
        .withHeader("x-amz-bucket-region", "eu-west-1")));
    stub.server.stubFor(emr("RunJobFlow").willReturn(json("{\"JobFlowId\":\"j-P9\"}")));
    stub.server.stubFor(emr("ListSteps").willReturn(json(
        "{\"Steps\":[{\"Id\":\"s-P9\",\"Name\":\"p9 fruits\",\"Status\":{\"State\":\"PENDING\"}}]}")));
    List<String> submit = List.of("submit", "--bucket", "p9-bucket", "--input", "s3a://p9-frankfurt/fruits/Training",
        "--output", "s3a://p9.paris.example/out/run1", "--model", "s3a://p9-dublin/models/m.onnx", "--jar",
        jar.toString(), "--no-wait");

    for (String command : List.of("emr", "serverless")) {
      List<String> a = new ArrayList<>(List.of(command));
      a.addAll(submit);
      if (command.equals("serverless")) {
        a.addAll(List.of("--execution-role-arn", "arn:aws:iam::123456789012:role/p9-job"));
      }
      assertThat(p9(aws(a.toArray(String[]::new)).toArray(String[]::new))).as(command + " " + err).isZero();
    }

    JsonNode flow = AwsStub.json(stub.server.findAll(postRequestedFor(urlEqualTo("/"))
        .withHeader("X-Amz-Target", equalTo("ElasticMapReduce.RunJobFlow"))).get(0).getBodyAsString());
    JsonNode start = AwsStub.json(stub.server.findAll(postRequestedFor(urlEqualTo("/applications/00fapp/jobruns")))
        .get(0).getBodyAsString());
    for (JsonNode argsNode : List.of(flow.at("/Steps/0/HadoopJarStep/Args"),
        start.at("/jobDriver/sparkSubmit/entryPointArguments"))) {
      List<String> args = new ArrayList<>();
      argsNode.forEach(x -> args.add(x.asText()));
      List<String> run = args.subList(args.indexOf("run") + 1, args.size());
      assertThat(run).containsSequence("--s3-bucket-region", "p9-frankfurt=eu-central-1")
          .containsSequence("--s3-bucket-region", "p9.paris.example=eu-west-3")
          .noneMatch(x -> x.startsWith("p9-dublin=") || x.startsWith("p9-bucket="));
      // what the job makes of them
      P9Cli.Run job = new P9Cli.Run();
      new CommandLine(job).parseArgs(run.toArray(String[]::new));
      assertThat(job.invalidOption()).isNull();
      assertThat(job.s3.settings(job.input, job.output, job.model).hadoopProperties())
          .containsEntry("fs.s3a.bucket.p9-frankfurt.endpoint.region", "eu-central-1")
          .containsEntry("fs.s3a.bucket.p9.paris.example.endpoint.region", "eu-west-3")
          .doesNotContainKey("fs.s3a.bucket.p9-dublin.endpoint");
    }

    // A dry run, which looks no region up, says so.
    out.getBuffer().setLength(0);
    List<String> dry = new ArrayList<>(List.of("emr"));
    dry.addAll(submit);
    dry.add("--dry-run");
    assertThat(p9(aws(dry.toArray(String[]::new)).toArray(String[]::new))).as(err.toString()).isZero();
    assertThat(out.toString()).contains("p9-bucket, p9-frankfurt, p9.paris.example, p9-dublin" + System.lineSeparator()
        + "# and gives the job --s3-bucket-region BUCKET=REGION for each of them in another region than eu-west-1"
        + " (S3A reaches an s3a:// bucket through eu-west-1's endpoint otherwise)" + System.lineSeparator());
  }

  /**
   * A {@code --s3-bucket-region} among the job's arguments (after {@code --}) for a bucket the submit found in
   * another region would override the region found, and the job would reach the bucket through the wrong endpoint:
   * it is refused before anything is uploaded or started. One naming the region found is passed once.
   */
  @Test
  void aJobArgumentContradictingABucketsRegionIsRefusedBeforeTheUpload() {
    stubServerlessRun("SUCCESS");
    stub.server.stubFor(head(urlEqualTo("/p9-frankfurt")).willReturn(aResponse().withStatus(301)
        .withHeader("x-amz-bucket-region", "eu-central-1")));
    for (String command : List.of("emr", "serverless")) {
      for (String bucket : List.of("p9-frankfurt", "p9-bucket")) {
        err.getBuffer().setLength(0);
        List<String> a = new ArrayList<>(List.of(command, "submit", "--bucket", "p9-bucket", "--input",
            "s3a://p9-frankfurt/fruits/Training", "--jar", jar.toString(), "--no-wait"));
        if (command.equals("serverless")) {
          a.addAll(List.of("--execution-role-arn", "arn:aws:iam::123456789012:role/p9-job"));
        }
        List<String> args = aws(a.toArray(String[]::new));
        args.addAll(List.of("--", "--s3-bucket-region", bucket + "=eu-west-3"));

        assertThat(p9(args.toArray(String[]::new))).as(command + " " + err).isEqualTo(2);
        assertThat(err.toString()).as(command).contains("p9: the job's argument --s3-bucket-region " + bucket
            + "=eu-west-3 contradicts S3, which has bucket '" + bucket + "' in "
            + (bucket.equals("p9-bucket") ? "eu-west-1" : "eu-central-1"));
      }
    }
    assertThat(stub.server.findAll(putRequestedFor(anyUrl()))).as("no upload").isEmpty();
    assertThat(stub.server.findAll(postRequestedFor(urlEqualTo("/"))
        .withHeader("X-Amz-Target", matching("ElasticMapReduce.*")))).as("no EMR call").isEmpty();
    assertThat(stub.server.findAll(anyRequestedFor(urlMatching("/applications.*")))).as("no EMR Serverless call")
        .isEmpty();

    // the region found, given again, goes to the job once
    List<String> args = aws("serverless", "submit", "--bucket", "p9-bucket", "--input",
        "s3a://p9-frankfurt/fruits/Training", "--jar", jar.toString(), "--no-wait", "--execution-role-arn",
        "arn:aws:iam::123456789012:role/p9-job");
    args.addAll(List.of("--", "--s3-bucket-region", "p9-frankfurt=EU-central-1"));
    assertThat(p9(args.toArray(String[]::new))).as(err.toString()).isZero();
    JsonNode start = AwsStub.json(stub.server.findAll(postRequestedFor(urlEqualTo("/applications/00fapp/jobruns")))
        .get(0).getBodyAsString());
    List<String> run = new ArrayList<>();
    start.at("/jobDriver/sparkSubmit/entryPointArguments").forEach(x -> run.add(x.asText()));
    assertThat(run).filteredOn(x -> x.startsWith("p9-frankfurt=")).containsExactly("p9-frankfurt=EU-central-1");
  }

  /**
   * EMR Serverless takes at most 1,024 job arguments: the check counts the {@code --s3-bucket-region} arguments the
   * submit adds for the regions it found, before anything is uploaded or started, not at StartJobRun.
   */
  @Test
  void theJobArgumentsAddedForBucketRegionsAreCheckedBeforeTheUpload() {
    stubServerlessRun("SUCCESS");
    stub.server.stubFor(head(urlEqualTo("/p9-frankfurt")).willReturn(aResponse().withStatus(301)
        .withHeader("x-amz-bucket-region", "eu-central-1")));
    List<String> args = aws("serverless", "submit", "--bucket", "p9-bucket", "--input",
        "s3a://p9-frankfurt/fruits/Training", "--jar", jar.toString(), "--no-wait", "--execution-role-arn",
        "arn:aws:iam::123456789012:role/p9-job");
    args.add("--");
    // 11 arguments of the submit's own, and these 1,012: 1,023 before the region found is added
    for (int i = 0; i < 506; i++) {
      args.addAll(List.of("--s3-bucket-region", "p9-other-" + i + "=eu-west-1"));
    }

    assertThat(p9(args.toArray(String[]::new))).as(err.toString()).isEqualTo(2);
    assertThat(err.toString()).contains("p9: EMR Serverless takes at most 1024 job arguments, got 1025");
    assertThat(stub.server.findAll(putRequestedFor(anyUrl()))).as("no upload").isEmpty();
    assertThat(stub.server.findAll(anyRequestedFor(urlMatching("/applications.*")))).as("no EMR Serverless call")
        .isEmpty();
  }

  @Test
  void logModelAndSparkConfBucketsOutsideTheEuAreRefusedBeforeAnythingRuns() {
    stubStsAndBucket();
    stub.server.stubFor(head(urlEqualTo("/p9-us-logs")).willReturn(aResponse().withStatus(301)
        .withHeader("x-amz-bucket-region", "us-east-1")));
    // S3 names the region of a bucket the launcher may not read in the refusal too.
    stub.server.stubFor(head(urlEqualTo("/p9-us-models")).willReturn(aResponse().withStatus(403)
        .withHeader("x-amz-bucket-region", "us-west-2")));
    String role = "arn:aws:iam::123456789012:role/p9-job";
    Map<List<String>, String> refused = Map.of(
        List.of("emr", "submit", "--log-uri", "s3://p9-us-logs/emr/"), "p9-us-logs' is in us-east-1",
        List.of("emr", "submit", "--model", "s3a://p9-us-models/m.onnx"), "p9-us-models' is in us-west-2",
        List.of("emr", "submit", "--spark-conf", "spark.eventLog.dir=s3://p9-us-logs/events/"),
        "p9-us-logs' is in us-east-1",
        List.of("serverless", "submit", "--log-uri", "s3://p9-us-logs/serverless/", "--execution-role-arn", role),
        "p9-us-logs' is in us-east-1",
        List.of("serverless", "submit", "--model", "s3://p9-us-models/m.onnx", "--execution-role-arn", role),
        "p9-us-models' is in us-west-2");
    refused.forEach((options, message) -> {
      List<String> a = new ArrayList<>(options);
      a.addAll(List.of("--bucket", "p9-bucket", "--input", "s3://p9-bucket/in", "--jar", jar.toString()));
      err.getBuffer().setLength(0);
      assertThat(p9(aws(a.toArray(String[]::new)).toArray(String[]::new))).as(options + " " + err).isEqualTo(2);
      assertThat(err.toString()).as(options.toString()).contains("p9: bucket '" + message
          + ", outside the allowed regions");
    });
    assertThat(stub.server.findAll(postRequestedFor(urlEqualTo("/"))
        .withHeader("X-Amz-Target", matching("ElasticMapReduce.*")))).as("no EMR call").isEmpty();
    assertThat(stub.server.findAll(anyRequestedFor(urlMatching("/applications.*")))).as("no EMR Serverless call")
        .isEmpty();
    assertThat(stub.server.findAll(putRequestedFor(anyUrl()))).as("no upload").isEmpty();

    // The dry run's first line names them among the buckets a real run checks.
    for (String command : List.of("emr", "serverless")) {
      out.getBuffer().setLength(0);
      List<String> a = new ArrayList<>(List.of(command, "submit", "--bucket", "p9-bucket", "--input",
          "s3://p9-bucket/in", "--model", "s3://p9-us-models/m.onnx", "--log-uri", "s3://p9-us-logs/p9/",
          "--spark-conf", "spark.jars=s3://p9-bucket/a.jar,s3a://p9-extra/b.jar", "--jar", jar.toString(),
          "--dry-run"));
      if (command.equals("serverless")) {
        a.addAll(List.of("--execution-role-arn", role));
      }
      assertThat(p9(aws(a.toArray(String[]::new)).toArray(String[]::new))).as(command + " " + err).isZero();
      assertThat(out.toString()).as(command).contains("# 0. a real run first checks that these buckets exist in"
          + " the allowed regions [eu-central-1, eu-north-1, eu-south-1, eu-south-2, eu-west-1, eu-west-3]:"
          + " p9-bucket, p9-us-models, p9-us-logs, p9-extra" + System.lineSeparator());
    }
  }

  /**
   * {@code --pipeline} on S3 goes to the cluster's {@code p9 run} in place of the fit's {@code --model}, {@code --k}
   * and {@code --variance}; its bucket is region-checked with the others (the dry run lists it), one outside the
   * EU refused before anything runs; the options of a fit, and a pipeline not on S3, are refused with it.
   */
  @Test
  void aPipelineOnS3IsPassedToTheJobAndItsBucketRegionChecked() {
    String role = "arn:aws:iam::123456789012:role/p9-job";
    String pipeline = "s3://p9-pipelines/p9/output/20261201-120000/pipeline-model";
    for (String command : List.of("emr", "serverless")) {
      List<String> a = new ArrayList<>(List.of(command, "submit", "--bucket", "p9-bucket", "--input",
          "s3://p9-bucket/in", "--output", "s3://p9-bucket/out/new", "--pipeline", pipeline, "--jar", jar.toString(),
          "--dry-run"));
      if (command.equals("serverless")) {
        a.addAll(List.of("--execution-role-arn", role));
      }
      out.getBuffer().setLength(0);
      assertThat(p9(aws(a.toArray(String[]::new)).toArray(String[]::new))).as(command + " " + err).isZero();
      assertThat(out.toString()).as(command).contains("the allowed regions [eu-central-1, eu-north-1, eu-south-1,"
          + " eu-south-2, eu-west-1, eu-west-3]: p9-bucket, p9-pipelines" + System.lineSeparator());
      assertThat(out.toString().replaceAll("\\s+", "")).as(command).contains("\"run\",\"--input\","
          + "\"s3://p9-bucket/in\",\"--output\",\"s3://p9-bucket/out/new\",\"--pipeline\",\"" + pipeline
          + "\",\"--region\",\"eu-west-1\"")
          .doesNotContain("\"--model\"", "\"--variance\"");
    }

    stubStsAndBucket();
    stub.server.stubFor(head(urlEqualTo("/p9-us-pipelines")).willReturn(aResponse().withStatus(403)
        .withHeader("x-amz-bucket-region", "us-west-2")));
    for (String command : List.of("emr", "serverless")) {
      List<String> a = new ArrayList<>(List.of(command, "submit", "--bucket", "p9-bucket", "--input",
          "s3://p9-bucket/in", "--pipeline", "s3://p9-us-pipelines/pipeline-model", "--jar", jar.toString()));
      if (command.equals("serverless")) {
        a.addAll(List.of("--execution-role-arn", role));
      }
      err.getBuffer().setLength(0);
      assertThat(p9(aws(a.toArray(String[]::new)).toArray(String[]::new))).as(command + " " + err).isEqualTo(2);
      assertThat(err.toString()).as(command).contains("p9: bucket 'p9-us-pipelines' is in us-west-2, outside the"
          + " allowed regions");
    }
    assertThat(stub.server.findAll(postRequestedFor(urlEqualTo("/"))
        .withHeader("X-Amz-Target", matching("ElasticMapReduce.*")))).as("no EMR call").isEmpty();
    assertThat(stub.server.findAll(anyRequestedFor(urlMatching("/applications.*")))).as("no EMR Serverless call")
        .isEmpty();
    assertThat(stub.server.findAll(putRequestedFor(anyUrl()))).as("no upload").isEmpty();

    Map<List<String>, String> refused = new java.util.LinkedHashMap<>();
    refused.put(List.of("--pipeline", pipeline, "--k", "5"), "p9: --k shapes the fit; with --pipeline " + pipeline
        + " the saved pipeline is applied as it is, nothing is fitted");
    refused.put(List.of("--pipeline", pipeline, "--model", "s3://p9-bucket/models/m.onnx", "--variance", "0.9"),
        "p9: --model, --variance shape the fit; with --pipeline ");
    refused.put(List.of("--pipeline", dir.toString()), "p9: --pipeline " + dir + " is not a saved PipelineModel"
        + " folder: no metadata/ inside");
    refused.put(List.of("--pipeline", "hdfs://nn/pipeline-model"), "p9: --pipeline must be on S3"
        + " (s3://bucket/prefix/pipeline-model) or a folder on this machine, which is uploaded, got"
        + " hdfs://nn/pipeline-model");
    // the job's own arguments after --, as p9 run on the cluster would parse them
    refused.put(List.of("--pipeline", pipeline, "--", "--scaler", "spark"), "p9: --scaler shapes the fit; with"
        + " --pipeline ");
    refused.forEach((options, message) -> {
      List<String> a = new ArrayList<>(List.of("emr", "submit", "--bucket", "p9-bucket", "--input",
          "s3://p9-bucket/in", "--jar", jar.toString(), "--dry-run"));
      int extra = options.contains("--") ? options.indexOf("--") : options.size();
      a.addAll(options.subList(0, extra));
      a = aws(a.toArray(String[]::new));
      a.addAll(options.subList(extra, options.size()));
      err.getBuffer().setLength(0);
      assertThat(p9(a.toArray(String[]::new))).as(options + " " + err).isEqualTo(2);
      assertThat(err.toString()).as(options.toString()).startsWith(message);
    });
  }

  @Test
  void aRegionOutsideTheEuIsRefusedUnlessAllowed() {
    int rc = p9(aws("emr", "submit", "--bucket", "p9-bucket", "--input", "s3://p9-bucket/in", "--jar",
        jar.toString(), "--region", "us-east-1", "--dry-run").toArray(String[]::new));
    assertThat(rc).isEqualTo(2);
    assertThat(err.toString()).contains("region us-east-1 is outside the allowed regions", "--allow-region us-east-1");

    rc = p9(aws("emr", "submit", "--bucket", "p9-bucket", "--input", "s3://p9-bucket/in", "--jar",
        jar.toString(), "--region", "us-east-1", "--allow-region", "us-east-1", "--dry-run").toArray(String[]::new));
    assertThat(rc).as(err.toString()).isZero();
    assertThat(out.toString()).contains("\"region\": \"us-east-1\"", "\"--allow-region\"");
  }

  /** An existing 'p9' application, and a job run that goes through {@code states}. */
  /** A failed step is exit code 1 also when its stderr cannot be read: that is no configuration error. */
  @Test
  void aFailedStepWhoseStderrCannotBeReadIsStillAJobFailure() {
    stubStsAndBucket();
    stub.server.stubFor(emr("RunJobFlow").willReturn(json("{\"JobFlowId\":\"j-P9\"}")));
    stub.server.stubFor(emr("ListSteps").willReturn(json("{\"Steps\":[{\"Id\":\"s-P9\",\"Name\":\"p9 fruits\"}]}")));
    stubStepStates("PENDING", "FAILED");
    // the launcher may read only p9/logs/emr/* (examples/iam/): here it may not
    stub.server.stubFor(get(urlEqualTo("/p9-bucket/p9/logs/emr/j-P9/steps/s-P9/stderr.gz")).willReturn(
        aResponse().withStatus(403).withHeader("Content-Type", "application/xml").withBody("<Error><Code>AccessDenied"
            + "</Code><Message>Access Denied</Message></Error>")));

    int rc = p9(aws("emr", "submit", "--bucket", "p9-bucket", "--input", "s3://p9-bucket/in", "--jar",
        jar.toString()).toArray(String[]::new));

    assertThat(rc).as(err.toString()).isEqualTo(CliSupport.JOB_FAILED);
    assertThat(err.toString()).contains("p9: step s-P9 FAILED: Unknown Error. - Exception in thread main",
        "p9: the step's stderr could not be read (access denied while reading s3://p9-bucket/p9/logs/emr/j-P9/steps/"
            + "s-P9/stderr.gz", "later: p9 emr logs --cluster-id j-P9 --step-id s-P9");

    // a running cluster without a log URI, which a step is added to
    err.getBuffer().setLength(0);
    stubExistingCluster("WAITING", null);
    stub.server.stubFor(emr("AddJobFlowSteps").willReturn(json("{\"StepIds\":[\"s-P9\"]}")));
    rc = p9(aws("emr", "submit", "--cluster-id", "j-EXISTING", "--bucket", "p9-bucket", "--input",
        "s3://p9-bucket/in", "--jar", jar.toString()).toArray(String[]::new));
    assertThat(rc).as(err.toString()).isEqualTo(CliSupport.JOB_FAILED);
    assertThat(err.toString()).contains("p9: step s-P9 FAILED", "p9: the step's stderr could not be read (cluster"
        + " j-EXISTING has no log URI: its step logs are not on S3)");

    stub.server.resetAll();
    err.getBuffer().setLength(0);
    stubServerlessRun("SCHEDULED", "FAILED");
    stub.server.stubFor(get(urlEqualTo("/p9-bucket/p9/logs/serverless/applications/00fapp/jobs/00frun/SPARK_DRIVER/"
        + "stderr.gz")).willReturn(aResponse().withStatus(403).withHeader("Content-Type", "application/xml")
            .withBody("<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>")));
    assertThat(serverlessSubmit()).as(err.toString()).isEqualTo(CliSupport.JOB_FAILED);
    assertThat(err.toString()).contains("job run 00frun FAILED", "p9: the driver's stderr could not be read (access"
        + " denied while reading s3://p9-bucket/p9/logs/serverless/applications/00fapp/jobs/00frun/SPARK_DRIVER/"
        + "stderr.gz", "later: p9 serverless logs --application-id 00fapp --job-run-id 00frun");
  }

  private void stubServerlessRun(String... states) {
    stubStsAndBucket();
    stub.server.stubFor(get(urlPathEqualTo("/applications")).willReturn(aResponse().withStatus(200)
        .withHeader("Content-Type", "application/json").withBody("{\"applications\":[{\"id\":\"00fapp\",\"name\":\"p9\","
            + "\"arn\":\"arn:x\",\"releaseLabel\":\"emr-7.9.0\",\"type\":\"Spark\",\"state\":\"CREATED\","
            + "\"createdAt\":1.7E9,\"updatedAt\":1.7E9}]}")));
    stub.server.stubFor(post(urlEqualTo("/applications/00fapp/jobruns")).willReturn(aResponse().withStatus(200)
        .withHeader("Content-Type", "application/json")
        .withBody("{\"applicationId\":\"00fapp\",\"jobRunId\":\"00frun\",\"arn\":\"arn:x\"}")));
    for (int i = 0; i < states.length; i++) {
      var m = get(urlEqualTo("/applications/00fapp/jobruns/00frun")).inScenario("run")
          .whenScenarioStateIs(i == 0 ? Scenario.STARTED : "r" + i).willReturn(aResponse().withStatus(200)
              .withHeader("Content-Type", "application/json").withBody("{\"jobRun\":{\"applicationId\":\"00fapp\","
                  + "\"jobRunId\":\"00frun\",\"state\":\"" + states[i] + "\",\"stateDetails\":\"\"}}"));
      stub.server.stubFor(i + 1 < states.length ? m.willSetStateTo("r" + (i + 1)) : m);
    }
  }

  private int serverlessSubmit() {
    return p9(aws("serverless", "submit", "--bucket", "p9-bucket", "--input", "s3://p9-bucket/in", "--jar",
        jar.toString(), "--execution-role-arn", "arn:aws:iam::123456789012:role/p9-job").toArray(String[]::new));
  }

  @Test
  void serverlessSubmitReusesTheApplicationAndWaitsForTheRun() {
    stubServerlessRun("SCHEDULED", "RUNNING", "SUCCESS");

    int rc = serverlessSubmit();

    assertThat(rc).as(err.toString()).isZero();
    assertThat(out.toString()).contains("application 00fapp job run 00frun", "done:");
    assertThat(err.toString()).contains("application 00fapp 'p9' (emr-7.9.0, X86_64, CREATED) reused",
        "job run 00frun SCHEDULED", "job run 00frun RUNNING", "job run 00frun SUCCESS");
  }

  /**
   * --idle-stop and --max-cpu/--max-memory take effect on a reused application: a STOPPED one with other settings is
   * updated before the run (the request --dry-run prints for it); one given no such option is left as it is.
   */
  @Test
  void serverlessSubmitUpdatesAReusedApplicationToTheIdleStopAndCapacityGiven() {
    stubServerlessRun("SUCCESS");
    stub.server.stubFor(get(urlEqualTo("/applications/00fapp")).willReturn(aResponse().withStatus(200)
        .withHeader("Content-Type", "application/json").withBody("{\"application\":{\"applicationId\":\"00fapp\","
            + "\"name\":\"p9\",\"arn\":\"arn:x\",\"releaseLabel\":\"emr-7.9.0\",\"type\":\"Spark\",\"state\":"
            + "\"CREATED\",\"autoStopConfiguration\":{\"enabled\":true,\"idleTimeoutMinutes\":15},"
            + "\"createdAt\":1.7E9,\"updatedAt\":1.7E9}}")));
    stub.server.stubFor(patch(urlEqualTo("/applications/00fapp")).willReturn(aResponse().withStatus(200)
        .withHeader("Content-Type", "application/json").withBody("{\"application\":{\"applicationId\":\"00fapp\","
            + "\"name\":\"p9\",\"arn\":\"arn:x\",\"releaseLabel\":\"emr-7.9.0\",\"type\":\"Spark\",\"state\":"
            + "\"CREATED\",\"createdAt\":1.7E9,\"updatedAt\":1.7E9}}")));
    List<String> args = List.of("serverless", "submit", "--bucket", "p9-bucket", "--input", "s3://p9-bucket/in",
        "--jar", jar.toString(), "--execution-role-arn", "arn:aws:iam::123456789012:role/p9-job", "--idle-stop", "1h",
        "--max-cpu", "8 vCPU", "--max-memory", "32 GB");

    int rc = p9(aws(args.toArray(String[]::new)).toArray(String[]::new));

    assertThat(rc).as(err.toString()).isZero();
    var update = stub.server.findAll(patchRequestedFor(urlEqualTo("/applications/00fapp")));
    assertThat(update).hasSize(1);
    JsonNode body = AwsStub.json(update.get(0).getBodyAsString());
    assertThat(body.at("/autoStopConfiguration/idleTimeoutMinutes").asInt()).isEqualTo(60);
    assertThat(body.at("/maximumCapacity/cpu").asText()).isEqualTo("8 vCPU");
    assertThat(err.toString()).contains("application 00fapp updated: maximum capacity none -> 8 vCPU, 32 GB;"
        + " auto-stop after 15 min idle -> after 60 min idle");

    out.getBuffer().setLength(0);
    List<String> dry = new ArrayList<>(args);
    dry.add("--dry-run");
    assertThat(p9(aws(dry.toArray(String[]::new)).toArray(String[]::new))).as(err.toString()).isZero();
    String o = out.toString();
    assertThat(o).contains("only while the application is CREATED or STOPPED");
    String json = o.substring(o.indexOf("{", o.indexOf("the UpdateApplication request")), o.indexOf("# 3."));
    JsonNode printed = ((ObjectNode) AwsStub.json(json).get("request")).without("clientToken");
    JsonNode sent = ((ObjectNode) body).without("clientToken");
    assertThat(printed).as("the request sent, but for its token").isEqualTo(sent);
  }

  @Test
  void aFailedServerlessRunWithoutItsDriverLogSaysWhereToLookLater() {
    stubServerlessRun("SCHEDULED", "FAILED");

    int rc = serverlessSubmit();

    assertThat(rc).isEqualTo(1);
    assertThat(err.toString()).contains("job run 00frun FAILED",
        "p9: the driver's stderr is not under s3://p9-bucket/p9/logs/serverless/ (yet); later: "
            + "p9 serverless logs --application-id 00fapp --job-run-id 00frun")
        .doesNotContain("step");
  }

  @Test
  void optionsThatShapeANewApplicationAreRefusedWithAnApplicationId() {
    int rc = p9(aws("serverless", "submit", "--application-id", "00fexisting", "--bucket", "p9-bucket", "--input",
        "s3://p9-bucket/in", "--jar", jar.toString(), "--execution-role-arn", "arn:aws:iam::123456789012:role/p9-job",
        "--architecture", "ARM64", "--max-cpu", "4 vCPU", "--max-memory", "16 GB", "--dry-run")
        .toArray(String[]::new));

    assertThat(rc).isEqualTo(CliSupport.USAGE);
    assertThat(err.toString()).contains("p9: --architecture, --max-cpu, --max-memory shape an application p9 finds"
        + " or creates; with --application-id the run goes to 00fexisting as it is");
    assertThat(out.toString()).as("refused before the dry run prints anything").isEmpty();
    assertThat(stub.server.getAllServeEvents()).as("no AWS call").isEmpty();

    // the options a run honours (--log-uri, --tag) are accepted with it
    err.getBuffer().setLength(0);
    assertThat(p9(aws("serverless", "submit", "--application-id", "00fexisting", "--bucket", "p9-bucket", "--input",
        "s3://p9-bucket/in", "--jar", jar.toString(), "--execution-role-arn", "arn:aws:iam::123456789012:role/p9-job",
        "--log-uri", "s3://p9-bucket/logs/", "--tag", "team=x", "--dry-run").toArray(String[]::new)))
        .as(err.toString()).isZero();
    assertThat(out.toString()).contains("\"applicationId\": \"00fexisting\"", "\"team\": \"x\"");

    // every name in the list is one of the command's options, so none is silently never checked
    CommandLine submit = new CommandLine(new P9Cli()).getSubcommands().get("serverless").getSubcommands()
        .get("submit");
    assertThat(ServerlessCommands.Submit.APPLICATION_OPTIONS).allSatisfy(name ->
        assertThat(submit.getCommandSpec().findOption(name)).as(name).isNotNull());
  }

  @Test
  void serverlessLimitsAreCheckedBeforeAnythingIsSent() {
    List<String> base = List.of("serverless", "submit", "--bucket", "p9-bucket", "--input", "s3://p9-bucket/in",
        "--jar", jar.toString(), "--execution-role-arn", "arn:aws:iam::123456789012:role/p9-job", "--dry-run");
    String capacity = "p9: a maximum capacity needs both cpu and memory";
    Map<List<String>, String> refused = Map.of(List.of("--max-memory", "128 GB"), capacity,
        List.of("--max-cpu", "32 vCPU"), capacity,
        List.of("--idle-stop", "30s"), "p9: --idle-stop must be 1m to 7d, not '30s'",
        List.of("--idle-stop", "8d"), "p9: --idle-stop must be 1m to 7d, not '8d'",
        List.of("--application-name", "my app"), "p9: EMR Serverless application name 'my app' (6 characters)"
            + " is refused by AWS",
        List.of("--max-cpu", "32 vCPUs", "--max-memory", "128 GB"), "p9: maximum cpu '32 vCPUs'",
        List.of("--tag", "cost#center=x"), "p9: EMR Serverless tag key 'cost#center'",
        List.of("--timeout", "1000d"), "p9: execution timeout must be at most 1000000 minutes");
    refused.forEach((bad, message) -> {
      List<String> a = new ArrayList<>(base);
      a.addAll(bad);
      err.getBuffer().setLength(0);
      assertThat(p9(aws(a.toArray(String[]::new)).toArray(String[]::new))).as(bad.toString()).isEqualTo(2);
      assertThat(err.toString()).as(bad.toString()).contains(message)
          .doesNotContain(message.equals(capacity) ? "idle-stop" : "maximum capacity needs").doesNotContain("192h");
    });
    List<String> a = new ArrayList<>(base);
    a.addAll(List.of("--max-cpu", "32 vCPU", "--max-memory", "128 GB", "--idle-stop", "90s", "--timeout", "20s"));
    assertThat(p9(aws(a.toArray(String[]::new)).toArray(String[]::new))).as(err.toString()).isZero();
    assertThat(out.toString()).contains("\"maximumCapacity\": {", "\"memory\": \"128 GB\"",
        "\"idleTimeoutMinutes\": 2", "\"executionTimeoutMinutes\": 1", "--execution-timeout-minutes 1");
    assertThat(stub.server.findAll(anyRequestedFor(anyUrl()))).isEmpty();
  }

  @Test
  void emrLimitsAreCheckedBeforeAnythingIsSent() {
    Map<List<String>, String> refused = Map.of(
        List.of("--cluster-name", "c".repeat(257)), "(257 characters) is refused by AWS: it takes 0 to 256",
        List.of("--tag", "team=ml!"), "p9: EMR tag value 'ml!' (3 characters) is refused by AWS",
        List.of("--tag", "aws:team=ml"), "p9: tag 'aws:team=ml' is refused by AWS: the prefix aws: is reserved",
        List.of("--fleets", "--core-type", "m5.xlarge,m5a.xlarge,m5d.xlarge,m6i.xlarge,m6a.xlarge,m7i.xlarge"),
        "p9: an on-demand core fleet takes at most 5 instance types, got 6");
    refused.forEach((bad, message) -> {
      List<String> a = new ArrayList<>(List.of("emr", "submit", "--bucket", "p9-bucket", "--input",
          "s3://p9-bucket/in", "--jar", jar.toString(), "--dry-run"));
      a.addAll(bad);
      err.getBuffer().setLength(0);
      assertThat(p9(aws(a.toArray(String[]::new)).toArray(String[]::new))).as(bad.toString()).isEqualTo(2);
      assertThat(err.toString()).as(bad.toString()).contains(message);
    });
    assertThat(out.toString()).isEmpty();
    assertThat(stub.server.findAll(anyRequestedFor(anyUrl()))).isEmpty();
  }

  /**
   * {@code --timeout} is how long submit waits (and on EMR Serverless the run's execution timeout): one of 0 made
   * {@code emr submit} start a cluster and give up on it at once (exit 3, the cluster running), a negative one
   * was refused as a "bad back-off", and one that is no duration without naming the option.
   */
  @Test
  void aTimeoutThatIsNoPositiveDurationIsRefusedNamingTheOption() {
    Map<String, String> refused = Map.of("0s", "p9: --timeout must be above 0, not '0s'",
        "-1h", "p9: --timeout must be above 0, not '-1h'",
        "abc", "p9: --timeout: 'abc' is not a duration (e.g. 90s, 15m, 2h)");
    for (String command : List.of("emr", "serverless")) {
      refused.forEach((bad, message) -> {
        List<String> a = new ArrayList<>(List.of(command, "submit", "--bucket", "p9-bucket", "--input",
            "s3://p9-bucket/in", "--jar", jar.toString(), "--timeout", bad));
        if (command.equals("serverless")) {
          a.addAll(List.of("--execution-role-arn", "arn:aws:iam::123456789012:role/p9-job"));
        }
        err.getBuffer().setLength(0);
        assertThat(p9(aws(a.toArray(String[]::new)).toArray(String[]::new))).as(command + " " + bad)
            .isEqualTo(CliSupport.USAGE);
        assertThat(err.toString().strip()).as(command + " " + bad).isEqualTo(message);
      });
    }
    assertThat(out.toString()).isEmpty();
    assertThat(stub.server.findAll(anyRequestedFor(anyUrl()))).as("no AWS call").isEmpty();
  }

  @Test
  void badJobArgumentsAreRefusedBeforeAnythingIsSentNotOnTheCluster() {
    String role = "arn:aws:iam::123456789012:role/p9-job";
    Map<List<String>, String> refused = Map.of(
        List.of("--k", "-3"), "p9: --k must be > 0 (or 0: choose by --variance), not -3",
        List.of("--variance", "1.5"), "p9: --variance must be in (0, 1], not 1.5",
        List.of("--k", "5", "--variance", "95"), "p9: --variance must be in (0, 1], not 95.0",
        List.of("--", "--batch-size", "0"), "p9: --batch-size must be > 0, not 0",
        List.of("--", "--bogus"), "p9: the job's arguments: Unknown option: '--bogus'",
        List.of("--", "--output", "s3://other-bucket/out"), "p9: the job's arguments: option '--output'",
        List.of("--k", "1281"), "p9: k = 1281 is larger than the model's feature dimension 1280 ("
            + P9Cli.BUNDLED_MODEL + "): PCA gives at most that many components");
    for (String command : List.of("emr", "serverless")) {
      refused.forEach((bad, message) -> {
        List<String> a = new ArrayList<>(List.of(command, "submit", "--bucket", "p9-bucket", "--input",
            "s3://p9-bucket/in", "--jar", jar.toString()));
        if (command.equals("serverless")) {
          a.addAll(List.of("--execution-role-arn", role));
        }
        // "-- ARGS..." (more arguments for 'p9 run') go last, after the stub's options
        boolean jobArgs = bad.get(0).equals("--");
        if (!jobArgs) {
          a.addAll(bad);
        }
        List<String> all = aws(a.toArray(String[]::new));
        if (jobArgs) {
          all.addAll(bad);
        }
        err.getBuffer().setLength(0);
        assertThat(p9(all.toArray(String[]::new))).as(command + " " + bad + " " + err).isEqualTo(2);
        assertThat(err.toString()).as(command + " " + bad).startsWith(message);
      });
    }
    assertThat(out.toString()).isEmpty();
    assertThat(stub.server.findAll(anyRequestedFor(anyUrl()))).isEmpty();
  }

  @Test
  void anOutputOffS3IsRefusedItWouldBeLostWithTheCluster() {
    for (String command : List.of("emr", "serverless")) {
      for (String output : List.of("out/run1", "/tmp/p9-out", "file:///tmp/p9-out", "hdfs:///user/hadoop/out")) {
        List<String> a = new ArrayList<>(List.of(command, "submit", "--bucket", "p9-bucket", "--input",
            "s3://p9-bucket/in", "--output", output, "--jar", jar.toString()));
        if (command.equals("serverless")) {
          a.addAll(List.of("--execution-role-arn", "arn:aws:iam::123456789012:role/p9-job"));
        }
        err.getBuffer().setLength(0);
        assertThat(p9(aws(a.toArray(String[]::new)).toArray(String[]::new))).as(command + " " + output + " " + err)
            .isEqualTo(2);
        assertThat(err.toString()).as(command + " " + output)
            .startsWith("p9: --output must be on S3 (s3://bucket/prefix), got " + output);
      }
    }
    assertThat(out.toString()).isEmpty();
    assertThat(stub.server.findAll(anyRequestedFor(anyUrl()))).isEmpty();
  }

  @Test
  void anOutputInsideTheInputIsRefusedBeforeAnythingIsSent() {
    for (String command : List.of("emr", "serverless")) {
      for (String[] io : List.of(new String[] {"s3://p9-bucket/in", "s3://p9-bucket/in/out"},
          new String[] {"s3://p9-bucket/in/", "s3a://p9-bucket/in"}, new String[] {"s3://p9-bucket", null},
          new String[] {"s3a://p9-bucket/", "s3://p9-bucket/x/y/"})) {
        List<String> a = new ArrayList<>(List.of(command, "submit", "--bucket", "p9-bucket", "--input", io[0],
            "--jar", jar.toString()));
        if (io[1] != null) {
          a.addAll(List.of("--output", io[1]));
        }
        if (command.equals("serverless")) {
          a.addAll(List.of("--execution-role-arn", "arn:aws:iam::123456789012:role/p9-job"));
        }
        err.getBuffer().setLength(0);
        assertThat(p9(aws(a.toArray(String[]::new)).toArray(String[]::new))).as(command + " " + err).isEqualTo(2);
        assertThat(err.toString()).as(command).startsWith("p9: --output " + (io[1] != null ? io[1]
            : "s3://p9-bucket/p9/output/")).contains(" is inside --input " + io[0] + ": a later run");
      }
    }
    assertThat(out.toString()).isEmpty();
    assertThat(stub.server.findAll(anyRequestedFor(anyUrl()))).isEmpty();
  }

  /** A PUT of {@code file} under {@code urlRegex}, answered with its MD5 as ETag (the SDK checks it). */
  private void stubPut(String urlRegex, Path file) {
    stub.server.stubFor(put(urlMatching(urlRegex)).willReturn(aResponse().withStatus(200)
        .withHeader("ETag", "\"" + md5(file) + "\"")));
  }

  /** Both submits answered: a new cluster whose step completes, and an EMR Serverless run that succeeds. */
  private void stubSubmitsThatSucceed() {
    stubServerlessRun("SUCCESS");
    stub.server.stubFor(emr("RunJobFlow").willReturn(json("{\"JobFlowId\":\"j-P9\"}")));
    stub.server.stubFor(emr("ListSteps").willReturn(json(
        "{\"Steps\":[{\"Id\":\"s-P9\",\"Name\":\"p9 fruits\",\"Status\":{\"State\":\"PENDING\"}}]}")));
    stubStepStates("COMPLETED");
  }

  /** {@code <command> submit} (emr or serverless) of the test jar over {@code s3://p9-bucket/in}, with {@code more}. */
  private List<String> submitArgs(String command, String... more) {
    List<String> a = new ArrayList<>(List.of(command, "submit", "--bucket", "p9-bucket", "--input",
        "s3://p9-bucket/in", "--jar", jar.toString()));
    a.addAll(List.of(more));
    if (command.equals("serverless")) {
      a.addAll(List.of("--execution-role-arn", "arn:aws:iam::123456789012:role/p9-job"));
    }
    return a;
  }

  /** A mistyped path would reach the cluster as it is, and the step fail there once the cluster is up. */
  @Test
  void aModelPathWithNoFileHereIsRefusedBeforeAnyCall() {
    for (String missing : List.of(dir.resolve("modles/my-model.onnx").toString(), "modles/my-model.onnx")) {
      for (String command : List.of("emr", "serverless")) {
        List<String> a = aws(submitArgs(command, "--model", missing, "--dry-run").toArray(String[]::new));
        err.getBuffer().setLength(0);
        assertThat(p9(a.toArray(String[]::new))).as(command + " " + missing + " " + err).isEqualTo(2);
        assertThat(err.toString()).as(command).startsWith("p9: --model " + missing + " is no file on this machine");
      }
    }
  }

  @Test
  void aModelOnThisMachineIsUploadedWithItsSidecarAndTheJobReadsItFromS3() throws Exception {
    Path models = Files.createDirectories(dir.resolve("my models"));
    Path model = Files.write(models.resolve("my-model.onnx"), new byte[] {8, 7});
    Path sidecar = Files.writeString(models.resolve("my-model.onnx.p9.json"), "{\"version\": 1}");
    stubSubmitsThatSucceed();
    stubPut("/p9-bucket/p9/jars/models/.*/my-model\\.onnx", model);
    stubPut("/p9-bucket/p9/jars/models/.*/my-model\\.onnx\\.p9\\.json", sidecar);

    List<String> dryRuns = new ArrayList<>();
    for (String command : List.of("emr", "serverless")) {
      for (String uri : List.of(model.toString(), model.toUri().toString())) {
        stub.server.resetRequests();
        List<String> a = submitArgs(command, "--model", uri);
        err.getBuffer().setLength(0);
        assertThat(p9(aws(a.toArray(String[]::new)).toArray(String[]::new))).as(command + " " + uri + " " + err)
            .isZero();

        List<String> keys = new ArrayList<>();
        stub.server.findAll(putRequestedFor(urlMatching("/p9-bucket/p9/jars/models/.*")))
            .forEach(r -> keys.add(r.getUrl().substring("/p9-bucket/".length())));
        assertThat(keys).as(command + " " + uri).hasSize(2);
        String modelKey = keys.stream().filter(k -> k.endsWith(".onnx")).findFirst().orElseThrow();
        assertThat(modelKey).matches("p9/jars/models/[0-9a-f]{12}/my-model\\.onnx");
        assertThat(keys).contains(modelKey + ".p9.json");
        String s3Model = "s3://p9-bucket/" + modelKey;
        assertThat(err.toString()).contains("model at " + s3Model + " with its sidecar");
        String request = stub.server.findAll(command.equals("emr")
            ? postRequestedFor(urlEqualTo("/")).withHeader("X-Amz-Target", equalTo("ElasticMapReduce.RunJobFlow"))
            : postRequestedFor(urlEqualTo("/applications/00fapp/jobruns"))).get(0).getBodyAsString();
        assertThat(request).as("the job reads the uploaded model").contains("\"--model\",\"" + s3Model + "\"")
            .doesNotContain(models.toString());

        // the dry run prints the same copies and sends nothing
        stub.server.resetRequests();
        out.getBuffer().setLength(0);
        a.add("--dry-run");
        assertThat(p9(aws(a.toArray(String[]::new)).toArray(String[]::new))).as(err.toString()).isZero();
        assertThat(stub.server.findAll(anyRequestedFor(anyUrl()))).isEmpty();
        assertThat(out.toString()).contains("# 1. upload the job jar and the model",
            DryRun.s3Copy(model, S3Location.parse(s3Model), "eu-west-1", S3Store.sha256(model)),
            DryRun.s3Copy(sidecar, S3Location.parse(s3Model + ".p9.json"), "eu-west-1", S3Store.sha256(sidecar)));
        assertThat(DryRun.s3Copy(model, S3Location.parse(s3Model), "eu-west-1", S3Store.sha256(model)))
            .as("quoted: a space")
            .startsWith("aws s3 cp '" + model + "' " + s3Model);
        dryRuns.add(s3Model);
      }
    }
    assertThat(new java.util.HashSet<>(dryRuns)).as("one place for one model and sidecar").hasSize(1);

    // a changed sidecar, or none, puts the model in another folder: the job never reads a stale sidecar (each
    // submit, a JobOptions of its own, places the model once)
    java.util.function.Supplier<String> submitted = () -> {
      JobOptions job = new JobOptions();
      new CommandLine(job).parseArgs("--bucket", "p9-bucket", "--input", "s3://p9-bucket/in", "--model",
          model.toString());
      return job.modelTarget().s3Uri();
    };
    String withSidecar = submitted.get();
    assertThat(withSidecar).isEqualTo(dryRuns.get(0));
    Files.writeString(sidecar, "{\"version\": 1, \"description\": \"changed\"}");
    String changed = submitted.get();
    Files.delete(sidecar);
    String without = submitted.get();
    assertThat(List.of(withSidecar, changed, without)).doesNotHaveDuplicates()
        .allMatch(u -> u.endsWith("/my-model.onnx"));
  }

  /**
   * A {@code --pipeline} folder on this machine (a path or a {@code file:} URI) is uploaded, every file under it,
   * to a folder of its own under {@code p9/jars/pipelines/}, and the job reads it from there; the dry run prints
   * the copy and sends nothing; a folder without a saved PipelineModel is refused before anything is sent.
   */
  @Test
  void aPipelineFolderOnThisMachineIsUploadedAndTheJobReadsItFromS3() throws Exception {
    Path folder = Files.createDirectories(dir.resolve("my pipelines/pipeline-model"));
    Map<String, String> files = Map.of("metadata/part-00000", "{\"class\":\"org.apache.spark.ml.PipelineModel\"}",
        "metadata/_SUCCESS", "", "metadata/.part-00000.crc", "crc", "stages/0_imageLoader_1/metadata/part-00000",
        "{\"class\":\"io.p9.spark.ml.ImageLoader\"}");
    for (Map.Entry<String, String> e : files.entrySet()) {
      Path f = folder.resolve(e.getKey());
      Files.createDirectories(f.getParent());
      Files.writeString(f, e.getValue());
    }
    stubSubmitsThatSucceed();
    String prefix = "/p9-bucket/p9/jars/pipelines/[0-9a-f]{12}/pipeline-model/";
    files.keySet().forEach(k -> stubPut(prefix + k.replace(".", "\\."), folder.resolve(k)));

    List<String> placed = new ArrayList<>();
    for (String command : List.of("emr", "serverless")) {
      for (String uri : List.of(folder.toString(), folder.toUri().toString())) {
        stub.server.resetRequests();
        List<String> a = submitArgs(command, "--pipeline", uri);
        err.getBuffer().setLength(0);
        assertThat(p9(aws(a.toArray(String[]::new)).toArray(String[]::new))).as(command + " " + uri + " " + err)
            .isZero();

        List<String> urls = new ArrayList<>();
        stub.server.findAll(putRequestedFor(urlMatching("/p9-bucket/p9/jars/pipelines/.*")))
            .forEach(r -> urls.add(r.getUrl()));
        assertThat(urls).as(command + " " + uri).hasSize(files.size()).allMatch(u -> u.matches(prefix + ".*"));
        String s3Pipeline = "s3:/" + urls.get(0).substring(0, urls.get(0).indexOf("/pipeline-model/")
            + "/pipeline-model/".length());
        assertThat(urls).extracting(u -> u.substring(s3Pipeline.length() - "s3:/".length()))
            .containsExactlyInAnyOrderElementsOf(files.keySet());
        assertThat(err.toString()).contains("pipeline at " + s3Pipeline + " (4 files)");
        String request = stub.server.findAll(command.equals("emr")
            ? postRequestedFor(urlEqualTo("/")).withHeader("X-Amz-Target", equalTo("ElasticMapReduce.RunJobFlow"))
            : postRequestedFor(urlEqualTo("/applications/00fapp/jobruns"))).get(0).getBodyAsString();
        assertThat(request).as("the job reads the uploaded pipeline")
            .contains("\"--pipeline\",\"" + s3Pipeline + "\"").doesNotContain("my pipelines");

        // the dry run prints the copy and sends nothing
        stub.server.resetRequests();
        out.getBuffer().setLength(0);
        a.add("--dry-run");
        assertThat(p9(aws(a.toArray(String[]::new)).toArray(String[]::new))).as(err.toString()).isZero();
        assertThat(stub.server.findAll(anyRequestedFor(anyUrl()))).isEmpty();
        assertThat(out.toString()).contains("# 1. upload the job jar and the pipeline" + System.lineSeparator(),
            DryRun.s3CopyFolder(folder, S3Location.parse(s3Pipeline), "eu-west-1"));
        placed.add(s3Pipeline);
      }
    }
    assertThat(new java.util.HashSet<>(placed)).as("one place for one pipeline").hasSize(1);

    Path photos = Files.createDirectories(dir.resolve("not-a-pipeline/Apple"));
    Files.write(photos.resolve("a.jpg"), new byte[] {1});
    for (String command : List.of("emr", "serverless")) {
      stub.server.resetRequests();
      err.getBuffer().setLength(0);
      assertThat(p9(aws(submitArgs(command, "--pipeline", photos.getParent().toString()).toArray(String[]::new))
          .toArray(String[]::new))).as(command).isEqualTo(2);
      assertThat(err.toString()).as(command).isEqualTo("p9: --pipeline " + photos.getParent() + " is not a saved"
          + " PipelineModel folder: no metadata/ inside" + System.lineSeparator());
      assertThat(stub.server.findAll(anyRequestedFor(anyUrl()))).as("nothing sent").isEmpty();
    }
  }

  @Test
  void theProjectTagCannotBeReplaced() {
    for (String command : List.of("emr", "serverless")) {
      err.getBuffer().setLength(0);
      List<String> a = new ArrayList<>(List.of(command, "submit", "--bucket", "p9-bucket", "--input",
          "s3://p9-bucket/in", "--jar", jar.toString(), "--tag", "project=other", "--dry-run"));
      if (command.equals("serverless")) {
        a.addAll(List.of("--execution-role-arn", "arn:aws:iam::123456789012:role/p9-job"));
      }
      int rc = p9(aws(a.toArray(String[]::new)).toArray(String[]::new));
      assertThat(rc).as(command + " " + err).isEqualTo(2);
      assertThat(err.toString()).as(command).contains("p9: tag 'project=other' is not allowed: p9 tags what it"
          + " creates project=p9, which the IAM policies in examples/iam/ require; use another key");
    }
    assertThat(out.toString()).isEmpty();
    assertThat(stub.server.findAll(anyRequestedFor(anyUrl()))).isEmpty();
  }

  @Test
  void everySubcommandHasHelp() {
    for (String[] c : List.of(new String[] {"run"}, new String[] {"emr"}, new String[] {"emr", "submit"},
        new String[] {"emr", "status"}, new String[] {"emr", "logs"}, new String[] {"emr", "terminate"},
        new String[] {"serverless"}, new String[] {"serverless", "submit"}, new String[] {"serverless", "status"},
        new String[] {"serverless", "logs"})) {
      List<String> a = new ArrayList<>(List.of(c));
      a.add("--help");
      out.getBuffer().setLength(0);
      assertThat(p9(a.toArray(String[]::new))).as(String.join(" ", a)).isZero();
      assertThat(out.toString()).startsWith("Usage: p9 " + String.join(" ", c));
    }
    out.getBuffer().setLength(0);
    assertThat(p9("run", "--help")).isZero();
    assertThat(out.toString()).contains("--s3-endpoint", "--s3-committer", "--region");
  }

  /** A command that only groups others, given none, is a usage error: its usage on stderr, exit 2. */
  @Test
  void aGroupWithoutASubcommandIsAUsageError() {
    for (String[] c : List.of(new String[0], new String[] {"emr"}, new String[] {"serverless"})) {
      out.getBuffer().setLength(0);
      err.getBuffer().setLength(0);
      assertThat(p9(c)).as(String.join(" ", c)).isEqualTo(2);
      assertThat(err.toString()).as(String.join(" ", c))
          .startsWith("Usage: p9" + (c.length == 0 ? "" : " " + c[0]) + " ").contains("Commands:");
      assertThat(out.toString()).isEmpty();
    }
  }

  @Test
  void statusLogsAndTerminate() {
    stubStepStates("FAILED");
    stub.server.stubFor(emr("ListSteps").willReturn(json("{\"Steps\":[{\"Id\":\"s-P9\",\"Name\":\"p9 fruits\","
        + "\"Status\":{\"State\":\"FAILED\",\"FailureDetails\":{\"Message\":\"boom\"}}}]}")));
    stub.server.stubFor(emr("TerminateJobFlows").willReturn(json("{}")));
    stub.server.stubFor(get(urlEqualTo("/p9-bucket/p9/logs/emr/j-P9/steps/s-P9/stdout.gz")).willReturn(
        aResponse().withStatus(200).withBody(AwsStub.gzip("hello from the driver\n"))));

    assertThat(p9(aws("emr", "status", "--cluster-id", "j-P9").toArray(String[]::new))).as(err.toString()).isZero();
    assertThat(out.toString()).contains("cluster j-P9 'p9-fruits' RUNNING", "step s-P9 'p9 fruits' FAILED - boom");
    assertThat(p9(aws("emr", "logs", "--cluster-id", "j-P9", "--step-id", "s-P9", "--file", "stdout")
        .toArray(String[]::new))).isZero();
    assertThat(out.toString()).contains("hello from the driver");
    assertThat(p9(aws("emr", "logs", "--cluster-id", "j-P9", "--step-id", "s-P9").toArray(String[]::new)))
        .as("no stderr yet").isEqualTo(1);
    assertThat(err.toString()).contains("no stderr for step s-P9 on S3 yet");
    assertThat(p9(aws("emr", "terminate", "--cluster-id", "j-P9").toArray(String[]::new))).isZero();
    stub.server.verify(postRequestedFor(urlEqualTo("/"))
        .withHeader("X-Amz-Target", equalTo("ElasticMapReduce.TerminateJobFlows")));
  }
}
