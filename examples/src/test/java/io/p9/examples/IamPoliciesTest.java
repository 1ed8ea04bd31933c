package io.p9.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.p9.aws.RegionPolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The least-privilege IAM policies in {@code examples/iam/} are valid policy documents and allow exactly the
 * API actions the launcher and the job call (listed here from the code: EmrLauncher, ServerlessLauncher,
 * S3Store, the S3A committer), no wildcards, with creation restricted to EU regions and to the project tag.
 */
class IamPoliciesTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static JsonNode policy(String name) throws Exception {
    return JSON.readTree(Files.readString(Fixtures.repoRoot().resolve("examples/iam/" + name)));
  }

  private static Set<String> actions(JsonNode policy) {
    Set<String> a = new HashSet<>();
    for (JsonNode st : policy.get("Statement")) {
      assertThat(st.get("Effect").asText()).isEqualTo("Allow");
      JsonNode act = st.get("Action");
      if (act.isArray()) {
        act.forEach(x -> a.add(x.asText()));
      } else {
        a.add(act.asText());
      }
    }
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
    assertThat(actions(p)).containsExactlyInAnyOrder("s3:ListBucket", "s3:GetBucketLocation", "s3:PutObject",
        "s3:GetObject", "elasticmapreduce:RunJobFlow", "elasticmapreduce:AddTags", "elasticmapreduce:DescribeCluster",
        "elasticmapreduce:DescribeStep", "elasticmapreduce:ListSteps", "elasticmapreduce:AddJobFlowSteps",
        "elasticmapreduce:TerminateJobFlows", "iam:PassRole");
    JsonNode create = p.get("Statement").get(3);
    assertThat(create.at("/Condition/StringEquals/aws:RequestTag~1project").asText()).isEqualTo("p9");
    Set<String> regions = new HashSet<>();
    create.at("/Condition/StringEqualsIfExists/aws:RequestedRegion").forEach(r -> regions.add(r.asText()));
    assertThat(regions).isEqualTo(RegionPolicy.EU_REGIONS);
  }

  @Test
  void theServerlessPoliciesCoverWhatTheLauncherAndTheJobCall() throws Exception {
    assertThat(actions(policy("p9-launcher-serverless-policy.json"))).containsExactlyInAnyOrder("s3:ListBucket",
        "s3:GetBucketLocation", "s3:PutObject", "s3:GetObject", "emr-serverless:ListApplications",
        "emr-serverless:CreateApplication", "emr-serverless:TagResource", "emr-serverless:GetApplication",
        "emr-serverless:StartJobRun", "emr-serverless:GetJobRun", "emr-serverless:CancelJobRun", "iam:PassRole");
    assertThat(policy("p9-serverless-job-trust-policy.json").at("/Statement/0/Principal/Service").asText())
        .isEqualTo("emr-serverless.amazonaws.com");
    // The job: read images, model and jar; write results through S3A's magic committer (multipart uploads).
    for (String job : List.of("p9-serverless-job-role-policy.json", "p9-emr-instance-role-policy.json")) {
      assertThat(actions(policy(job))).as(job).containsExactlyInAnyOrder("s3:ListBucket", "s3:GetBucketLocation",
          "s3:ListBucketMultipartUploads", "s3:GetObject", "s3:PutObject", "s3:DeleteObject",
          "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts");
    }
  }
}
