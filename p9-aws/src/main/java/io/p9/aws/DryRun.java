package io.p9.aws;

import io.p9.aws.internal.Json;
import io.p9.aws.s3.S3Location;
import io.p9.aws.s3.S3Store;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.core.SdkPojo;
import software.amazon.awssdk.services.emr.model.AddJobFlowStepsRequest;
import software.amazon.awssdk.services.emr.model.InstanceGroupConfig;
import software.amazon.awssdk.services.emr.model.JobFlowInstancesConfig;
import software.amazon.awssdk.services.emr.model.MarketType;
import software.amazon.awssdk.services.emr.model.RunJobFlowRequest;
import software.amazon.awssdk.services.emr.model.StepConfig;
import software.amazon.awssdk.services.emr.model.Tag;
import software.amazon.awssdk.services.emrserverless.model.CreateApplicationRequest;
import software.amazon.awssdk.services.emrserverless.model.StartJobRunRequest;

/**
 * {@code --dry-run}: the exact API requests as JSON (the body the SDK sends, member names as on the wire)
 * and the equivalent AWS CLI command lines, without calling AWS.
 */
public final class DryRun {
  private DryRun() {}

  /**
   * One request as {@code {"service", "operation", "region", ["uri",] "request"}}: {@code request} is the
   * body on the wire; {@code uri} holds members sent in the URI (REST APIs such as EMR Serverless).
   *
   * @param service the service, e.g. {@code emr}
   * @param operation the operation, e.g. {@code RunJobFlow}
   * @param region the region it is sent to
   * @param request the SDK request
   * @return the JSON, indented
   */
  public static String requestJson(String service, String operation, String region, SdkPojo request) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("service", service);
    m.put("operation", operation);
    m.put("region", region);
    Map<String, Object> uri = Json.uriMembers(request);
    if (!uri.isEmpty()) {
      m.put("uri", uri);
    }
    m.put("request", Json.payload(request));
    return Json.pretty(m);
  }

  /**
   * {@code aws s3 cp FILE s3://... --metadata p9-sha256=...}: the object as {@link S3Store}'s upload puts it, with
   * the file's hex sha256 (as hashed once for the submit) in its metadata, by which a later upload of the same bytes
   * is skipped.
   *
   * @param file the local file
   * @param target the object it is uploaded to
   * @param region the bucket's region
   * @param sha256 the file's hex sha256
   * @return the command line, one option per continued line
   */
  public static String s3Copy(Path file, S3Location target, String region, String sha256) {
    return cmd(List.of("aws", "s3", "cp", file.toString(), target.s3Uri(), "--region", region,
        "--metadata", S3Store.SHA256_METADATA + "=" + sha256));
  }

  /**
   * {@return the {@code aws s3 cp} command that copies every file under {@code folder}, recursively, to
   * {@code target}}
   *
   * @param folder the local folder
   * @param target the S3 folder
   * @param region the bucket's region
   */
  public static String s3CopyFolder(Path folder, S3Location target, String region) {
    return cmd(List.of("aws", "s3", "cp", folder.toString(), target.s3Uri(), "--recursive", "--region", region));
  }

  /**
   * The {@code aws emr create-cluster ...} equivalent of a RunJobFlow request.
   *
   * @param r the request p9 sends
   * @param region the region it is sent to
   * @return the command line, one option per continued line
   */
  public static String emrCreateCluster(RunJobFlowRequest r, String region) {
    List<String> c = new ArrayList<>(List.of("aws", "emr", "create-cluster", "--region", region,
        "--name", r.name(), "--release-label", r.releaseLabel(), "--applications", "Name=Spark",
        "--log-uri", r.logUri(), "--service-role", r.serviceRole()));
    JobFlowInstancesConfig in = r.instances();
    Map<String, Object> ec2 = new LinkedHashMap<>();
    ec2.put("InstanceProfile", r.jobFlowRole());
    if (in.ec2SubnetId() != null) {
      ec2.put("SubnetId", in.ec2SubnetId());
    }
    if (in.hasEc2SubnetIds()) {
      ec2.put("SubnetIds", in.ec2SubnetIds());
    }
    if (in.ec2KeyName() != null) {
      ec2.put("KeyName", in.ec2KeyName());
    }
    c.add("--ec2-attributes");
    c.add(Json.write(ec2));
    if (in.hasInstanceFleets()) {
      c.add("--instance-fleets");
      c.add(Json.write(Json.tree(in.instanceFleets())));
    } else {
      // The CLI names the role "InstanceGroupType" where the API says "InstanceRole", and has no "Market":
      // a group with a "BidPrice" is spot, one without is on demand. "OnDemandPrice" is spot without a
      // bid price (capped at the on-demand price), as MarketType.SPOT alone is in the API.
      List<Object> groups = new ArrayList<>();
      for (InstanceGroupConfig g : in.instanceGroups()) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("Name", g.name());
        m.put("InstanceGroupType", g.instanceRoleAsString());
        m.put("InstanceType", g.instanceType());
        m.put("InstanceCount", g.instanceCount());
        if (g.market() == MarketType.SPOT) {
          m.put("BidPrice", g.bidPrice() != null ? g.bidPrice() : "OnDemandPrice");
        }
        groups.add(m);
      }
      c.add("--instance-groups");
      c.add(Json.write(groups));
    }
    c.add("--configurations");
    c.add(Json.write(Json.tree(r.configurations())));
    c.add("--steps");
    c.add(Json.write(steps(r.steps())));
    c.add(Boolean.TRUE.equals(in.keepJobFlowAliveWhenNoSteps()) ? "--no-auto-terminate" : "--auto-terminate");
    if (r.autoTerminationPolicy() != null) {
      c.add("--auto-termination-policy");
      c.add("IdleTimeout=" + r.autoTerminationPolicy().idleTimeout());
    }
    if (r.securityConfiguration() != null) {
      c.add("--security-configuration");
      c.add(r.securityConfiguration());
    }
    if (r.ebsRootVolumeSize() != null) {
      c.add("--ebs-root-volume-size");
      c.add(r.ebsRootVolumeSize().toString());
    }
    if (r.hasTags() && !r.tags().isEmpty()) {
      c.add("--tags");
      for (Tag t : r.tags()) {
        c.add(t.key() + "=" + t.value());
      }
    }
    return cmd(c);
  }

  /**
   * The {@code aws emr add-steps ...} equivalent of an AddJobFlowSteps request.
   *
   * @param r the request p9 sends
   * @param region the region it is sent to
   * @return the command line, one option per continued line
   */
  public static String emrAddSteps(AddJobFlowStepsRequest r, String region) {
    return cmd(List.of("aws", "emr", "add-steps", "--region", region, "--cluster-id", r.jobFlowId(),
        "--steps", Json.write(steps(r.steps()))));
  }

  private static List<Object> steps(List<StepConfig> steps) {
    List<Object> out = new ArrayList<>();
    for (StepConfig s : steps) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("Type", "CUSTOM_JAR");
      m.put("Name", s.name());
      m.put("ActionOnFailure", s.actionOnFailureAsString());
      m.put("Jar", s.hadoopJarStep().jar());
      m.put("Args", s.hadoopJarStep().args());
      out.add(m);
    }
    return out;
  }

  /**
   * The {@code aws emr-serverless create-application ...} equivalent of a CreateApplication request.
   *
   * @param r the request p9 sends
   * @param region the region it is sent to
   * @return the command line, one option per continued line
   */
  public static String serverlessCreateApplication(CreateApplicationRequest r, String region) {
    List<String> c = new ArrayList<>(List.of("aws", "emr-serverless", "create-application", "--region", region,
        "--name", r.name(), "--type", r.type(), "--release-label", r.releaseLabel(),
        "--architecture", r.architectureAsString(),
        "--auto-start-configuration", Json.write(Json.tree(r.autoStartConfiguration())),
        "--auto-stop-configuration", Json.write(Json.tree(r.autoStopConfiguration()))));
    if (r.maximumCapacity() != null) {
      c.add("--maximum-capacity");
      c.add(Json.write(Json.tree(r.maximumCapacity())));
    }
    return cmd(withTagsAndToken(c, r.hasTags() ? r.tags() : Map.of(), r.clientToken()));
  }

  /**
   * The {@code aws emr-serverless start-job-run ...} equivalent of a StartJobRun request.
   *
   * @param r the request p9 sends
   * @param region the region it is sent to
   * @return the command line, one option per continued line
   */
  public static String serverlessStartJobRun(StartJobRunRequest r, String region) {
    List<String> c = new ArrayList<>(List.of("aws", "emr-serverless", "start-job-run", "--region", region,
        "--application-id", r.applicationId(), "--name", r.name(), "--execution-role-arn", r.executionRoleArn(),
        "--job-driver", Json.write(Json.tree(r.jobDriver())),
        "--configuration-overrides", Json.write(Json.tree(r.configurationOverrides()))));
    if (r.executionTimeoutMinutes() != null) {
      c.add("--execution-timeout-minutes");
      c.add(r.executionTimeoutMinutes().toString());
    }
    return cmd(withTagsAndToken(c, r.hasTags() ? r.tags() : Map.of(), r.clientToken()));
  }

  /** The EMR Serverless requests' common tail: {@code --tags} (as JSON, if any) and {@code --client-token}. */
  private static List<String> withTagsAndToken(List<String> c, Map<String, String> tags, String clientToken) {
    if (!tags.isEmpty()) {
      c.add("--tags");
      c.add(Json.write(tags));
    }
    c.add("--client-token");
    c.add(clientToken);
    return c;
  }

  /** A shell command line: words quoted for POSIX shells where needed, one option per continued line. */
  static String cmd(List<String> words) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < words.size(); i++) {
      String w = words.get(i);
      if (i > 0) {
        sb.append(w.startsWith("--") ? " \\\n    " : " ");
      }
      sb.append(shellQuote(w));
    }
    return sb.toString();
  }

  /**
   * {@return {@code s} as one POSIX shell word: as it is if it needs no quotes, else in single quotes}
   *
   * @param s any text
   */
  public static String shellQuote(String s) {
    if (!s.isEmpty() && s.matches("[A-Za-z0-9_@%+=:,./\\-]+")) {
      return s;
    }
    return "'" + s.replace("'", "'\\''") + "'";
  }
}
