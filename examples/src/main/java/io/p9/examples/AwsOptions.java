package io.p9.examples;

import io.p9.aws.AwsSettings;
import io.p9.aws.RegionPolicy;
import java.net.URI;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Where the launcher's AWS calls go: region (EU by default), profile, and an endpoint override. */
public final class AwsOptions {
  @Mixin
  RegionOptions regions = new RegionOptions();

  @Option(names = "--profile", description = "AWS profile (default: the AWS default credentials chain:"
      + " AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, SSO, web identity, instance role)")
  String profile;

  @Option(names = "--endpoint-url", hidden = true, description = "send every AWS call to this URL (tests,"
      + " VPC endpoints)")
  URI endpoint;

  RegionPolicy policy() {
    return regions.policy();
  }

  /** Client settings; throws RegionNotAllowedException for a refused region. */
  AwsSettings settings() {
    return AwsSettings.builder().region(regions.region).policy(policy()).profile(profile).endpoint(endpoint)
        .build();
  }
}
