package io.p9.aws.emr;

import io.p9.aws.SparkJob;
import io.p9.aws.internal.ApiConstraints;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import software.amazon.awssdk.services.emr.model.ActionOnFailure;
import software.amazon.awssdk.services.emr.model.AddJobFlowStepsRequest;
import software.amazon.awssdk.services.emr.model.Application;
import software.amazon.awssdk.services.emr.model.AutoTerminationPolicy;
import software.amazon.awssdk.services.emr.model.Configuration;
import software.amazon.awssdk.services.emr.model.HadoopJarStepConfig;
import software.amazon.awssdk.services.emr.model.InstanceFleetConfig;
import software.amazon.awssdk.services.emr.model.InstanceFleetProvisioningSpecifications;
import software.amazon.awssdk.services.emr.model.InstanceFleetType;
import software.amazon.awssdk.services.emr.model.InstanceGroupConfig;
import software.amazon.awssdk.services.emr.model.InstanceRoleType;
import software.amazon.awssdk.services.emr.model.InstanceTypeConfig;
import software.amazon.awssdk.services.emr.model.JobFlowInstancesConfig;
import software.amazon.awssdk.services.emr.model.MarketType;
import software.amazon.awssdk.services.emr.model.RunJobFlowRequest;
import software.amazon.awssdk.services.emr.model.SpotProvisioningAllocationStrategy;
import software.amazon.awssdk.services.emr.model.SpotProvisioningSpecification;
import software.amazon.awssdk.services.emr.model.SpotProvisioningTimeoutAction;
import software.amazon.awssdk.services.emr.model.StepConfig;
import software.amazon.awssdk.services.emr.model.Tag;

/**
 * The EMR API requests for a p9 job, built from a spec without calling AWS: what {@link EmrLauncher} sends
 * and what {@code --dry-run} prints.
 *
 * <p>The Spark step runs {@code spark-submit --deploy-mode cluster} through {@code command-runner.jar}
 * with the job jar from S3. Configurations set Java 17 ({@code JAVA_HOME} in {@code hadoop-env} and
 * {@code spark-env}, and for the YARN application master and executors in {@code spark-defaults}: EMR 7
 * defaults to Java 17 already, this pins it against a release that would not) plus the spec's
 * spark-defaults. A cluster that is not kept alive ends after its step; on failure the step terminates
 * it. A step added to a running cluster never ends it: that cluster is not p9's to end.
 */
public final class EmrRequests {
  /** The jar that runs commands such as spark-submit on EMR's primary node. */
  public static final String COMMAND_RUNNER = "command-runner.jar";
  /** The longest step argument HadoopJarStepConfig takes. */
  private static final int MAX_ARGUMENT = 10_280;
  private static final Pattern STEP_ARGUMENT = Pattern.compile("[" + ApiConstraints.XML_CHARS + "]*");

  private EmrRequests() {}

  /**
   * The step: {@code command-runner.jar spark-submit --deploy-mode cluster --class ... jar args...}; each argument
   * is one HadoopJarStepConfig takes ({@link #checkJob}).
   *
   * @param job the Spark job
   * @param onFailure what EMR does when the step fails
   * @return the step
   * @throws IllegalArgumentException if an argument is one HadoopJarStepConfig does not take
   */
  public static StepConfig sparkStep(SparkJob job, ActionOnFailure onFailure) {
    return StepConfig.builder()
        .name(job.name())
        .actionOnFailure(onFailure)
        .hadoopJarStep(HadoopJarStepConfig.builder().jar(COMMAND_RUNNER).args(checkJob(job)).build())
        .build();
  }

  /**
   * The arguments of {@code job}'s step, checked: each has at most 10280 characters that XML allows, as
   * HadoopJarStepConfig takes them.
   *
   * @param job the Spark job
   * @return {@code spark-submit} and its arguments
   * @throws IllegalArgumentException naming the first argument that is too long or has a character XML does not
   *     allow
   */
  public static List<String> checkJob(SparkJob job) {
    List<String> args = new ArrayList<>();
    args.add("spark-submit");
    args.addAll(job.sparkSubmitArgs(List.of("--deploy-mode", "cluster")));
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      int n = a.codePointCount(0, a.length());
      if (n > MAX_ARGUMENT || !STEP_ARGUMENT.matcher(a).matches()) {
        throw new IllegalArgumentException("an EMR step argument has at most " + MAX_ARGUMENT + " characters, "
            + ApiConstraints.XML_RULE + ": argument " + (i + 1) + " of " + args.size() + " ("
            + (n > 50 ? a.substring(0, a.offsetByCodePoints(0, 50)) + "..." : a) + ") has " + n);
      }
    }
    return args;
  }

  /**
   * {@return what to do when the step of a cluster p9 creates fails: end the cluster, unless it is kept alive}
   *
   * @param spec the cluster
   */
  public static ActionOnFailure onFailure(EmrClusterSpec spec) {
    return spec.keepAlive() ? ActionOnFailure.CONTINUE : ActionOnFailure.TERMINATE_CLUSTER;
  }

  /**
   * {@return the {@code RunJobFlow} request: the cluster with {@code job} as its first step}
   *
   * @param spec the cluster
   * @param job the Spark job
   * @throws IllegalArgumentException if a step argument is one HadoopJarStepConfig does not take
   */
  public static RunJobFlowRequest runJobFlow(EmrClusterSpec spec, SparkJob job) {
    RunJobFlowRequest.Builder r = RunJobFlowRequest.builder()
        .name(spec.name())
        .releaseLabel(spec.releaseLabel())
        .logUri(spec.logUri().s3Uri())
        .applications(Application.builder().name("Spark").build())
        .configurations(configurations(spec))
        .instances(instances(spec))
        .steps(sparkStep(job, onFailure(spec)))
        .serviceRole(spec.serviceRole())
        .jobFlowRole(spec.instanceProfile())
        .visibleToAllUsers(true)
        .tags(tags(spec.tags()));
    if (spec.keepAlive()) {
      r.autoTerminationPolicy(AutoTerminationPolicy.builder().idleTimeout(spec.idleTimeout().getSeconds()).build());
    }
    if (spec.securityConfiguration() != null) {
      r.securityConfiguration(spec.securityConfiguration());
    }
    if (spec.ebsRootVolumeGb() != null) {
      r.ebsRootVolumeSize(spec.ebsRootVolumeGb());
    }
    return r.build();
  }

  /**
   * {@code AddJobFlowSteps}: the job on an existing cluster, which goes on ({@code CONTINUE}) if the step
   * fails: p9 did not create that cluster, and other work may be running on it.
   *
   * @param clusterId the cluster
   * @param job the Spark job
   * @return the request
   * @throws IllegalArgumentException if a step argument is one HadoopJarStepConfig does not take
   */
  public static AddJobFlowStepsRequest addStep(String clusterId, SparkJob job) {
    return AddJobFlowStepsRequest.builder().jobFlowId(clusterId).steps(sparkStep(job, ActionOnFailure.CONTINUE))
        .build();
  }

  static List<Configuration> configurations(EmrClusterSpec spec) {
    Map<String, String> sparkDefaults = new LinkedHashMap<>();
    sparkDefaults.put("spark.executorEnv.JAVA_HOME", spec.javaHome());
    sparkDefaults.put("spark.yarn.appMasterEnv.JAVA_HOME", spec.javaHome());
    sparkDefaults.putAll(spec.sparkDefaults());
    return List.of(
        Configuration.builder().classification("spark-defaults").properties(sparkDefaults).build(),
        exportJavaHome("spark-env", spec.javaHome()),
        exportJavaHome("hadoop-env", spec.javaHome()));
  }

  private static Configuration exportJavaHome(String classification, String javaHome) {
    return Configuration.builder().classification(classification)
        .configurations(Configuration.builder().classification("export")
            .properties(Map.of("JAVA_HOME", javaHome)).build())
        .build();
  }

  static JobFlowInstancesConfig instances(EmrClusterSpec spec) {
    JobFlowInstancesConfig.Builder b = JobFlowInstancesConfig.builder()
        .keepJobFlowAliveWhenNoSteps(spec.keepAlive())
        .terminationProtected(false);
    if (spec.fleets()) {
      b.instanceFleets(primaryFleet(spec), coreFleet(spec));
    } else {
      b.instanceGroups(
          InstanceGroupConfig.builder().name("Primary").instanceRole(InstanceRoleType.MASTER)
              .market(MarketType.ON_DEMAND).instanceType(spec.primaryType()).instanceCount(1).build(),
          InstanceGroupConfig.builder().name("Core").instanceRole(InstanceRoleType.CORE)
              .market(spec.coreMarket() == EmrClusterSpec.Market.SPOT ? MarketType.SPOT : MarketType.ON_DEMAND)
              .instanceType(spec.coreTypes().get(0)).instanceCount(spec.coreCount()).build());
    }
    if (spec.subnetId() != null) {
      if (spec.fleets()) {
        b.ec2SubnetIds(spec.subnetId());
      } else {
        b.ec2SubnetId(spec.subnetId());
      }
    }
    if (spec.keyName() != null) {
      b.ec2KeyName(spec.keyName());
    }
    return b.build();
  }

  private static InstanceFleetConfig primaryFleet(EmrClusterSpec spec) {
    // The primary node is always on demand: losing it loses the cluster.
    return InstanceFleetConfig.builder().name("Primary").instanceFleetType(InstanceFleetType.MASTER)
        .targetOnDemandCapacity(1)
        .instanceTypeConfigs(InstanceTypeConfig.builder().instanceType(spec.primaryType()).build())
        .build();
  }

  private static InstanceFleetConfig coreFleet(EmrClusterSpec spec) {
    List<InstanceTypeConfig> types = new ArrayList<>();
    for (String t : spec.coreTypes()) {
      types.add(InstanceTypeConfig.builder().instanceType(t).weightedCapacity(1).build());
    }
    InstanceFleetConfig.Builder f = InstanceFleetConfig.builder().name("Core")
        .instanceFleetType(InstanceFleetType.CORE).instanceTypeConfigs(types);
    if (spec.coreMarket() == EmrClusterSpec.Market.SPOT) {
      // Spot capacity from the least-interrupted pools, switching to on-demand if none comes in 20 minutes.
      f.targetSpotCapacity(spec.coreCount()).launchSpecifications(InstanceFleetProvisioningSpecifications.builder()
          .spotSpecification(SpotProvisioningSpecification.builder()
              .timeoutDurationMinutes(20)
              .timeoutAction(SpotProvisioningTimeoutAction.SWITCH_TO_ON_DEMAND)
              .allocationStrategy(SpotProvisioningAllocationStrategy.PRICE_CAPACITY_OPTIMIZED)
              .build())
          .build());
    } else {
      f.targetOnDemandCapacity(spec.coreCount());
    }
    return f.build();
  }

  static List<Tag> tags(Map<String, String> tags) {
    List<Tag> t = new ArrayList<>();
    tags.forEach((k, v) -> t.add(Tag.builder().key(k).value(v).build()));
    return t;
  }
}
