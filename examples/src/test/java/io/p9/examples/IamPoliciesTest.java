package io.p9.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.p9.aws.RegionPolicy;
import io.p9.aws.SparkJob;
import io.p9.aws.emr.EmrRequests;
import io.p9.aws.s3.S3Location;
import io.p9.aws.serverless.ServerlessSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import software.amazon.awssdk.services.emr.model.RunJobFlowRequest;

/**
 * The least-privilege IAM policies in {@code examples/iam/} are valid policy documents and allow exactly the
 * API actions the launcher and the job call (listed here from the code: EmrLauncher, ServerlessLauncher,
 * S3Store, the S3A committer), no wildcards, with creation restricted to EU regions and to the project tag.
 *
 * <p>On S3 the check is per bucket role: with the policies installed as the README says (YOUR_BUCKET replaced
 * by the one bucket of its example) and the locations {@code emr submit} and {@code serverless submit} derive
 * from their options (the job jar under {@code --bucket}, the default output and log URI, an input and a model
 * on S3), each S3 request the launcher or the job makes on each bucket is allowed, and each S3 grant is used
 * by one of them.
 */
class IamPoliciesTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String BUCKET = "my-p9";

  private static JsonNode policy(String name) throws Exception {
    return JSON.readTree(Files.readString(Fixtures.repoRoot().resolve("examples/iam/" + name)));
  }

  /** The policy as a user installs it: placeholders replaced. */
  private static JsonNode installed(String name) throws Exception {
    return JSON.readTree(Files.readString(Fixtures.repoRoot().resolve("examples/iam/" + name))
        .replace("YOUR_BUCKET", BUCKET).replace("YOUR_ACCOUNT_ID", "123456789012"));
  }

  private static List<String> strings(JsonNode n) {
    List<String> s = new ArrayList<>();
    if (n.isArray()) {
      n.forEach(x -> s.add(x.asText()));
    } else {
      s.add(n.asText());
    }
    return s;
  }

  private static Set<String> actions(JsonNode policy) {
    Set<String> a = new HashSet<>();
    for (JsonNode st : policy.get("Statement")) {
      assertThat(st.get("Effect").asText()).isEqualTo("Allow");
      a.addAll(strings(st.get("Action")));
    }
    return a;
  }

  private static Set<String> nonS3Actions(JsonNode policy) {
    Set<String> a = actions(policy);
    a.removeIf(x -> x.startsWith("s3:"));
    return a;
  }

  /** An S3 request: its IAM action on a bucket ({@code arn:aws:s3:::b}) or an object ({@code .../key}). */
  private record Access(String action, String arn, String why) {
    static Access bucket(String action, String bucket, String why) {
      return new Access(action, "arn:aws:s3:::" + bucket, why);
    }

    static Access object(String action, S3Location object, String why) {
      return new Access(action, "arn:aws:s3:::" + object.bucket() + "/" + object.key(), why);
    }
  }

  /** IAM's resource wildcards: {@code *} any run of characters, {@code ?} one. */
  private static boolean matches(String pattern, String arn) {
    StringBuilder re = new StringBuilder();
    for (char c : pattern.toCharArray()) {
      re.append(c == '*' ? ".*" : c == '?' ? "." : Pattern.quote(String.valueOf(c)));
    }
    return arn.matches(re.toString());
  }

  private static boolean allows(JsonNode policy, Access a) {
    for (JsonNode st : policy.get("Statement")) {
      if (strings(st.get("Action")).contains(a.action())
          && strings(st.get("Resource")).stream().anyMatch(r -> matches(r, a.arn()))) {
        return true;
      }
    }
    return false;
  }

  /**
   * Each S3 request in {@code needed} is allowed by {@code policy}, and each S3 action the policy grants on
   * each of its resources is used by one of them.
   */
  private static void grantsExactly(String name, List<Access> needed) throws Exception {
    grantsAll(name, needed);
    JsonNode p = installed(name);
    for (JsonNode st : p.get("Statement")) {
      for (String action : strings(st.get("Action"))) {
        if (!action.startsWith("s3:")) {
          continue;
        }
        for (String resource : strings(st.get("Resource"))) {
          assertThat(needed).as(name + " " + st.get("Sid") + " grants " + action + " on " + resource
              + ", which neither the launcher nor the job needs").anyMatch(
                  a -> a.action().equals(action) && matches(resource, a.arn()));
        }
      }
    }
  }

  /** The README's example: one bucket, the images under fruits/, a model of one's own under models/. */
  private static final List<String> README = List.of("--bucket", BUCKET, "--input", "s3://" + BUCKET
      + "/fruits/Training", "--model", "s3://" + BUCKET + "/models/mobilenetv2-12.onnx", "--jar", "p9-job.jar");

  private static <T> T parse(T command, String... more) {
    return parseWithModel(command, README.get(README.indexOf("--model") + 1), more);
  }

  /** The README's example with another {@code --model}. */
  private static <T> T parseWithModel(T command, String model, String... more) {
    List<String> a = new ArrayList<>(README);
    a.set(a.indexOf("--model") + 1, model);
    a.addAll(List.of(more));
    new CommandLine(command).parseArgs(a.toArray(String[]::new));
    return command;
  }

  /**
   * The launcher's S3 requests (S3Store): the --bucket check, the jar upload (and a local --model's, with its
   * sidecar), reading a log.
   */
  private static List<Access> launcher(JobOptions job, S3Location log) {
    S3Location jar = job.base().resolve("jars/p9-job-0123456789ab.jar");
    List<Access> a = new ArrayList<>(List.of(
        Access.bucket("s3:ListBucket", job.bucket, "S3Store.checkBucket (HeadBucket) on --bucket"),
        Access.object("s3:GetObject", jar, "S3Store.upload: HeadObject, is the jar there already?"),
        Access.object("s3:PutObject", jar, "S3Store.upload"),
        Access.object("s3:GetObject", log, "S3Store.readText: the step's or driver's stderr"),
        Access.bucket("s3:ListBucket", log.bucket(), "S3Store.readText: a log not there yet is a 404, not 403")));
    S3Location model = job.modelTarget();
    if (model != null) {
      for (S3Location o : List.of(model, S3Location.parse(model.s3Uri() + ".p9.json"))) {
        a.add(Access.object("s3:GetObject", o, "S3Store.uploadAs: HeadObject, is the model there already?"));
        a.add(Access.object("s3:PutObject", o, "S3Store.uploadAs: a local --model and its sidecar"));
      }
    }
    S3Location pipeline = job.pipelineTarget();
    if (pipeline != null) {
      S3Location o = pipeline.resolve("stages/1_CnnFeaturizer_0a1b2c3d4e5f/model/mobilenetv2-12-int8.onnx");
      a.add(Access.object("s3:GetObject", o, "S3Store.uploadAs: HeadObject, is the file there already?"));
      a.add(Access.object("s3:PutObject", o, "S3Store.uploadAs: each file of a local --pipeline"));
    }
    return a;
  }

  /**
   * The job's S3 requests (p9 run through S3A or EMRFS), and the cluster's or run's log uploads; with
   * {@code --pipeline}, reading the saved pipeline instead of the model.
   */
  private static List<Access> job(JobOptions job, S3Location log) {
    S3Location jar = job.base().resolve("jars/p9-job-0123456789ab.jar");
    S3Location input = S3Location.parse(job.input).asFolder();
    S3Location out = S3Location.parse(job.output()).asFolder().resolve("features.parquet/part-00000.parquet");
    List<Access> reads;
    if (job.pipeline != null) {
      S3Location pipeline = (job.pipelineTarget() != null ? job.pipelineTarget() : S3Location.parse(job.pipeline))
          .asFolder();
      reads = List.of(
          Access.bucket("s3:ListBucket", pipeline.bucket(), "PipelineModel.load lists its metadata and stages"),
          Access.object("s3:GetObject", pipeline.resolve("metadata/part-00000"), "PipelineModel.load: metadata"),
          Access.object("s3:GetObject", pipeline.resolve(
              "stages/1_CnnFeaturizer_0a1b2c3d4e5f/model/mobilenetv2-12-int8.onnx"),
              "CnnFeaturizer.load: the model bytes saved with it"));
    } else {
      S3Location model = job.modelTarget() != null ? job.modelTarget() : S3Location.parse(job.model);
      reads = List.of(
          Access.bucket("s3:ListBucket", model.bucket(), "CnnFeaturizer: a missing <model>.p9.json is a 404"),
          Access.object("s3:GetObject", model, "CnnFeaturizer reads --model"),
          Access.object("s3:GetObject", S3Location.parse(model.s3Uri() + ".p9.json"), "CnnFeaturizer: the sidecar"));
    }
    List<Access> a = new ArrayList<>(List.of(
        Access.object("s3:GetObject", jar, "spark-submit (EMR) or EMR Serverless fetch the job jar"),
        Access.bucket("s3:ListBucket", input.bucket(), "ImageFiles lists --input"),
        Access.object("s3:GetObject", input.resolve("Apple Red 1/r_1_100.jpg"), "ImageFiles reads each image")));
    a.addAll(reads);
    a.addAll(List.of(
        Access.bucket("s3:ListBucket", out.bucket(), "the committers list the output; overwrite deletes it"),
        Access.bucket("s3:ListBucketMultipartUploads", out.bucket(), "magic committer: pending uploads"),
        Access.object("s3:PutObject", out, "writing the output (multipart uploads too)"),
        Access.object("s3:GetObject", out, "committers read .pending files; copies read the source"),
        Access.object("s3:DeleteObject", out, "overwrite, __magic and _temporary clean-up"),
        Access.object("s3:AbortMultipartUpload", out, "a failed job aborts its uploads"),
        Access.object("s3:ListMultipartUploadParts", out, "EMRFS's S3-optimized committer"),
        Access.object("s3:PutObject", log, "EMR's log pusher / EMR Serverless write the logs")));
    return a;
  }

  @Test
  void everyPolicyIsAValidDocumentWithoutWildcardActions() throws Exception {
    try (var files = Files.list(Fixtures.repoRoot().resolve("examples/iam"))) {
      List<Path> all = files.filter(f -> f.toString().endsWith(".json")).toList();
      assertThat(all).hasSize(5);
      for (Path f : all) {
        JsonNode p = policy(f.getFileName().toString());
        assertThat(p.get("Version").asText()).as(f.toString()).isEqualTo("2012-10-17");
        assertThat(actions(p)).as(f.toString()).noneMatch(a -> a.contains("*"));
        for (JsonNode st : p.get("Statement")) {
          assertThat(st.has("Resource") || st.has("Principal")).as(f + " " + st.get("Sid")).isTrue();
        }
      }
    }
  }

  @Test
  void theEmrLauncherPolicyCoversWhatTheLauncherCalls() throws Exception {
    JsonNode p = policy("p9-launcher-emr-policy.json");
    assertThat(nonS3Actions(p)).containsExactlyInAnyOrder("elasticmapreduce:RunJobFlow", "elasticmapreduce:AddTags",
        "elasticmapreduce:DescribeCluster", "elasticmapreduce:DescribeStep", "elasticmapreduce:ListSteps",
        "elasticmapreduce:AddJobFlowSteps", "elasticmapreduce:TerminateJobFlows",
        "elasticmapreduce:PutAutoTerminationPolicy", "iam:PassRole");
    JsonNode create = p.get("Statement").get(3);
    assertThat(create.at("/Condition/StringEquals/aws:RequestTag~1project").asText()).isEqualTo("p9");
    Set<String> regions = new HashSet<>();
    create.at("/Condition/StringEqualsIfExists/aws:RequestedRegion").forEach(r -> regions.add(r.asText()));
    assertThat(regions).isEqualTo(RegionPolicy.EU_REGIONS);
  }

  /**
   * What a RunJobFlow request of {@code emr submit} needs besides {@code RunJobFlow} itself: tags on create need
   * {@code AddTags}, an auto-termination policy (--keep-alive) {@code PutAutoTerminationPolicy}, each role
   * {@code iam:PassRole}; each allowed without a condition key the action does not have.
   */
  @Test
  void theEmrLauncherPolicyAllowsWhatEachRunJobFlowCarries() throws Exception {
    JsonNode p = installed("p9-launcher-emr-policy.json");
    for (String[] options : new String[][] {{}, {"--keep-alive"}, {"--keep-alive", "--idle-timeout", "2h"}}) {
      RunJobFlowRequest r = EmrRequests.runJobFlow(parse(new EmrCommands.Submit(), options).clusterSpec(),
          new SparkJob("p9 fruits", S3Location.parse("s3://my-p9/p9/jars/j.jar"), "C", List.of(), Map.of()));
      List<String> needed = new ArrayList<>(List.of("elasticmapreduce:RunJobFlow", "iam:PassRole"));
      if (r.hasTags()) {
        needed.add("elasticmapreduce:AddTags");
      }
      if (r.autoTerminationPolicy() != null) {
        needed.add("elasticmapreduce:PutAutoTerminationPolicy");
      }
      for (String action : needed) {
        List<JsonNode> granting = new ArrayList<>();
        p.get("Statement").forEach(st -> {
          if (strings(st.get("Action")).contains(action)) {
            granting.add(st);
          }
        });
        assertThat(granting).as(List.of(options) + ": " + action).isNotEmpty();
        for (JsonNode st : granting) {
          assertThat(conditionKeys(st)).as(action + " in " + st.get("Sid"))
              .allMatch(k -> CONDITION_KEYS.getOrDefault(action, Set.of()).contains(k) || k.startsWith("aws:Requested")
                  || k.startsWith("iam:"));
        }
      }
    }
  }

  /** The condition keys each of these actions takes (the service authorization reference), global ones aside. */
  private static final Map<String, Set<String>> CONDITION_KEYS = Map.of(
      "elasticmapreduce:RunJobFlow", Set.of("aws:RequestTag/project", "elasticmapreduce:RequestTag/project",
          "aws:TagKeys"),
      "elasticmapreduce:AddTags", Set.of("aws:RequestTag/project", "elasticmapreduce:RequestTag/project",
          "aws:TagKeys", "aws:ResourceTag/project", "elasticmapreduce:ResourceTag/project"),
      "elasticmapreduce:PutAutoTerminationPolicy", Set.of("aws:ResourceTag/project",
          "elasticmapreduce:ResourceTag/project"));

  private static Set<String> conditionKeys(JsonNode statement) {
    Set<String> keys = new HashSet<>();
    if (statement.has("Condition")) {
      statement.get("Condition").forEach(operator -> operator.fieldNames().forEachRemaining(keys::add));
    }
    return keys;
  }

  @Test
  void theServerlessPoliciesCoverWhatTheLauncherAndTheJobCall() throws Exception {
    assertThat(nonS3Actions(policy("p9-launcher-serverless-policy.json"))).containsExactlyInAnyOrder(
        "emr-serverless:ListApplications", "emr-serverless:CreateApplication", "emr-serverless:TagResource",
        "emr-serverless:GetApplication", "emr-serverless:UpdateApplication", "emr-serverless:StartJobRun",
        "emr-serverless:GetJobRun",
        "emr-serverless:CancelJobRun", "iam:PassRole");
    assertThat(policy("p9-serverless-job-trust-policy.json").at("/Statement/0/Principal/Service").asText())
        .isEqualTo("emr-serverless.amazonaws.com");
    for (String job : List.of("p9-serverless-job-role-policy.json", "p9-emr-instance-role-policy.json")) {
      assertThat(nonS3Actions(policy(job))).as(job).isEmpty();
    }
  }

  @Test
  void onS3TheEmrPoliciesGrantWhatTheLauncherAndTheClusterDoWithEachBucketAndNoMore() throws Exception {
    EmrCommands.Submit submit = parse(new EmrCommands.Submit());
    S3Location log = submit.clusterSpec().logUri().resolve("j-P9/steps/s-P9/stderr.gz");
    assertThat(log.s3Uri()).isEqualTo("s3://my-p9/p9/logs/emr/j-P9/steps/s-P9/stderr.gz");

    grantsExactly("p9-launcher-emr-policy.json", launcher(submit.jobOptions, log));
    grantsExactly("p9-emr-instance-role-policy.json", job(submit.jobOptions, log));
  }

  @Test
  void aModelOnTheLaunchersMachineIsUploadedWhereBothPoliciesAlreadyReach(@TempDir Path dir) throws Exception {
    Path model = Files.write(dir.resolve("mine.onnx"), new byte[] {1});
    Files.writeString(dir.resolve("mine.onnx.p9.json"), "{}");
    EmrCommands.Submit emr = parseWithModel(new EmrCommands.Submit(), model.toString());
    ServerlessCommands.Submit serverless = parseWithModel(new ServerlessCommands.Submit(), model.toString(),
        "--execution-role-arn", "arn:aws:iam::123456789012:role/p9-serverless-job");
    assertThat(emr.jobOptions.modelTarget().s3Uri()).startsWith("s3://my-p9/p9/jars/models/");
    grantsAllTheyNeed(emr, serverless);
  }

  /** The four policies allow each S3 request of the launchers and the jobs of these two submits. */
  private static void grantsAllTheyNeed(EmrCommands.Submit emr, ServerlessCommands.Submit serverless)
      throws Exception {
    S3Location emrLog = emr.clusterSpec().logUri().resolve("j-P9/steps/s-P9/stderr.gz");
    S3Location serverlessLog = serverless.serverlessSpec().logUri().resolve("applications/a/jobs/r/stderr.gz");

    grantsAll("p9-launcher-emr-policy.json", launcher(emr.jobOptions, emrLog));
    grantsAll("p9-emr-instance-role-policy.json", job(emr.jobOptions, emrLog));
    grantsAll("p9-launcher-serverless-policy.json", launcher(serverless.jobOptions, serverlessLog));
    grantsAll("p9-serverless-job-role-policy.json", job(serverless.jobOptions, serverlessLog));
  }

  /**
   * A {@code --pipeline} that an earlier run saved under the default output ({@code p9/output/<time>/}) is read
   * by the job with the grants its role already has there; the launcher only region-checks its bucket.
   */
  @Test
  void aPipelineSavedByAnEarlierRunIsReadWithTheGrantsTheJobAlreadyHas() throws Exception {
    grantsAllTheyNeedWith("s3://" + BUCKET + "/p9/output/20261201-120000/pipeline-model");
  }

  /** A {@code --pipeline} folder on the launcher's machine is uploaded where both policies already reach. */
  @Test
  void aPipelineOnTheLaunchersMachineIsUploadedWhereBothPoliciesAlreadyReach(@TempDir Path dir) throws Exception {
    Path pipeline = Files.createDirectories(dir.resolve("pipeline-model/metadata")).getParent();
    Files.writeString(pipeline.resolve("metadata/part-00000"), "{}");
    grantsAllTheyNeedWith(pipeline.toString());
  }

  /** {@link #grantsAllTheyNeed} for the README's submits with {@code --pipeline pipeline} in place of the model. */
  private static void grantsAllTheyNeedWith(String pipeline) throws Exception {
    String[] noModel = README.subList(0, README.indexOf("--model")).toArray(String[]::new);
    List<String> more = new ArrayList<>(List.of(noModel));
    more.addAll(List.of("--jar", "p9-job.jar", "--pipeline", pipeline));
    EmrCommands.Submit emr = new EmrCommands.Submit();
    new CommandLine(emr).parseArgs(more.toArray(String[]::new));
    ServerlessCommands.Submit serverless = new ServerlessCommands.Submit();
    more.addAll(List.of("--execution-role-arn", "arn:aws:iam::123456789012:role/p9-serverless-job"));
    new CommandLine(serverless).parseArgs(more.toArray(String[]::new));
    grantsAllTheyNeed(emr, serverless);
  }

  /** Each S3 request in {@code needed} is allowed by {@code policy} (which may grant more, for other layouts). */
  private static void grantsAll(String name, List<Access> needed) throws Exception {
    JsonNode p = installed(name);
    for (Access a : needed) {
      assertThat(allows(p, a)).as(name + " must allow " + a.action() + " on " + a.arn() + ": " + a.why()).isTrue();
    }
  }

  @Test
  void onS3TheServerlessPoliciesGrantWhatTheLauncherAndTheJobDoWithEachBucketAndNoMore() throws Exception {
    ServerlessCommands.Submit submit = parse(new ServerlessCommands.Submit(), "--execution-role-arn",
        "arn:aws:iam::123456789012:role/p9-serverless-job");
    ServerlessSpec spec = submit.serverlessSpec();
    S3Location log = spec.logUri().resolve("applications/00fapp/jobs/00frun/SPARK_DRIVER/stderr.gz");
    assertThat(log.s3Uri()).startsWith("s3://my-p9/p9/logs/serverless/");

    grantsExactly("p9-launcher-serverless-policy.json", launcher(submit.jobOptions, log));
    grantsExactly("p9-serverless-job-role-policy.json", job(submit.jobOptions, log));
  }
}
