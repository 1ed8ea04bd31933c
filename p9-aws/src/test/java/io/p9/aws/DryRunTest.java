package io.p9.aws;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.p9.aws.emr.EmrClusterSpec;
import io.p9.aws.emr.EmrRequests;
import io.p9.aws.s3.S3Location;
import io.p9.aws.s3.S3Store;
import io.p9.aws.serverless.ServerlessRequests;
import io.p9.aws.serverless.ServerlessSpec;
import io.p9.aws.testing.AwsStub;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.emr.model.RunJobFlowRequest;

class DryRunTest {
  private static final SparkJob JOB = new SparkJob("p9 fruits", S3Location.parse("s3://b-1/jars/p9.jar"),
      "io.p9.examples.P9Cli", List.of("run", "--input", "s3://b-1/in", "--label", "it's"), Map.of());

  @Test
  void createClusterCommandLineCarriesEveryPartOfTheRequest() {
    RunJobFlowRequest r = EmrRequests.runJobFlow(EmrClusterSpec.builder().logUri(S3Location.parse("s3://b-1/logs"))
        .keepAlive(true).securityConfiguration("sec").tag("team", "data science").build(), JOB);
    String cli = DryRun.emrCreateCluster(r, "eu-west-1");
    assertThat(cli).startsWith("aws emr create-cluster \\\n    --region eu-west-1")
        .contains("--release-label emr-7.9.0", "--applications Name=Spark", "--log-uri s3://b-1/logs/",
            "--service-role EMR_DefaultRole", "--ec2-attributes '{\"InstanceProfile\":\"EMR_EC2_DefaultRole\"}'",
            "\"InstanceGroupType\":\"MASTER\"", "\"Classification\":\"spark-env\"",
            "\"Jar\":\"command-runner.jar\"", "--no-auto-terminate", "--auto-termination-policy IdleTimeout=3600",
            "--security-configuration sec", "--tags project=p9 'team=data science'")
        // a single quote inside JSON survives shell quoting
        .contains("\"it'\\''s\"");
  }

  /** The JSON argument of {@code option} in a command line (single-quoted: it holds no single quote). */
  private static JsonNode cliJson(String cli, String option) {
    Matcher m = Pattern.compile(Pattern.quote(option) + " '([^']*)'").matcher(cli);
    assertThat(m.find()).as(option + " in " + cli).isTrue();
    return AwsStub.json(m.group(1));
  }

  @Test
  void spotInstanceGroupsAreSpotForTheCli() {
    // The CLI's --instance-groups ignores "Market": a group is spot only if it has a "BidPrice", and
    // "OnDemandPrice" asks for spot capped at the on-demand price, as the API's MarketType.SPOT alone does.
    RunJobFlowRequest r = EmrRequests.runJobFlow(EmrClusterSpec.builder().logUri(S3Location.parse("s3://b-1/l"))
        .coreMarket(EmrClusterSpec.Market.SPOT).build(), JOB);
    assertThat(r.instances().instanceGroups().get(1).marketAsString()).isEqualTo("SPOT");
    JsonNode groups = cliJson(DryRun.emrCreateCluster(r, "eu-west-1"), "--instance-groups");
    assertThat(groups).hasSize(2);
    assertThat(groups.get(0).get("InstanceGroupType").asText()).isEqualTo("MASTER");
    assertThat(groups.get(0).has("BidPrice")).as("the primary node on demand").isFalse();
    assertThat(groups.get(1).get("InstanceGroupType").asText()).isEqualTo("CORE");
    assertThat(groups.get(1).path("BidPrice").asText()).isEqualTo("OnDemandPrice");
    groups.forEach(g -> assertThat(g.has("Market")).as("a key the CLI drops").isFalse());

    RunJobFlowRequest onDemand = EmrRequests.runJobFlow(EmrClusterSpec.builder()
        .logUri(S3Location.parse("s3://b-1/l")).build(), JOB);
    cliJson(DryRun.emrCreateCluster(onDemand, "eu-west-1"), "--instance-groups")
        .forEach(g -> assertThat(g.has("BidPrice")).isFalse());
  }

  @Test
  void spotInstanceFleetsKeepTheirSpotCapacityForTheCli() {
    // The CLI's --instance-fleets takes these members as they are.
    RunJobFlowRequest r = EmrRequests.runJobFlow(EmrClusterSpec.builder().logUri(S3Location.parse("s3://b-1/l"))
        .fleets(true).coreTypes(List.of("m5.xlarge", "m6i.xlarge")).coreMarket(EmrClusterSpec.Market.SPOT)
        .build(), JOB);
    JsonNode fleets = cliJson(DryRun.emrCreateCluster(r, "eu-west-1"), "--instance-fleets");
    assertThat(fleets.get(0).get("InstanceFleetType").asText()).isEqualTo("MASTER");
    assertThat(fleets.get(0).get("TargetOnDemandCapacity").asInt()).isEqualTo(1);
    assertThat(fleets.get(1).get("TargetSpotCapacity").asInt()).isEqualTo(2);
    assertThat(fleets.get(1).at("/LaunchSpecifications/SpotSpecification/TimeoutAction").asText())
        .isEqualTo("SWITCH_TO_ON_DEMAND");
    assertThat(fleets.get(1).at("/InstanceTypeConfigs/1/InstanceType").asText()).isEqualTo("m6i.xlarge");
  }

  @Test
  void serverlessCommandLines() {
    ServerlessSpec spec = ServerlessSpec.builder().executionRoleArn("arn:aws:iam::123456789012:role/r")
        .logUri(S3Location.parse("s3://b-1/sl")).build();
    String create = DryRun.serverlessCreateApplication(ServerlessRequests.createApplication(spec, "tok-1"), "eu-west-3");
    assertThat(create).contains("aws emr-serverless create-application", "--region eu-west-3", "--type SPARK",
        "--release-label emr-7.9.0", "--client-token tok-1");
    String start = DryRun.serverlessStartJobRun(
        ServerlessRequests.startJobRun("$APPLICATION_ID", spec, JOB, "tok-2"), "eu-west-3");
    assertThat(start).contains("aws emr-serverless start-job-run", "--application-id '$APPLICATION_ID'",
        "--execution-role-arn arn:aws:iam::123456789012:role/r",
        "--job-driver '{\"sparkSubmit\":{\"entryPoint\":\"s3://b-1/jars/p9.jar\"",
        "\"sparkSubmitParameters\":\"--class io.p9.examples.P9Cli\"",
        "\"logUri\":\"s3://b-1/sl/\"", "--execution-timeout-minutes 180");
  }

  @Test
  void requestJsonIsValidJsonWithOperationAndBody() {
    RunJobFlowRequest r = EmrRequests.runJobFlow(EmrClusterSpec.builder().logUri(S3Location.parse("s3://b-1/l"))
        .build(), JOB);
    JsonNode j = AwsStub.json(DryRun.requestJson("emr", "RunJobFlow", "eu-west-1", r));
    assertThat(j.get("operation").asText()).isEqualTo("RunJobFlow");
    assertThat(j.at("/request/Steps/0/HadoopJarStep/Args/10").asText()).isEqualTo("it's");
  }

  /**
   * The copy puts the object as the launcher's upload does: with the sha256 in its metadata, by which a later
   * submit finds the same bytes there and skips its own upload.
   */
  @Test
  void s3CopyCarriesTheSha256TheUploadSets(@TempDir Path dir) throws Exception {
    Path jar = Files.writeString(dir.resolve("my jar.jar"), "p9");
    String sha = "26148c43a19c95f0115e594c688e9f6e92d0bcdbdb6a75187b732fc593875e7e";
    assertThat(S3Store.sha256(jar)).as("sha256 of 'p9'").isEqualTo(sha);

    assertThat(DryRun.s3Copy(jar, S3Location.parse("s3://b-1/j/x.jar"), "eu-west-1", sha))
        .isEqualTo("aws s3 cp '" + jar + "' s3://b-1/j/x.jar \\\n    --region eu-west-1 \\\n"
            + "    --metadata p9-sha256=" + sha);
  }
}
