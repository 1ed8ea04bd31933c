package io.p9.examples;

import io.p9.aws.AwsSettings;
import io.p9.aws.RegionPolicy;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** Where the launcher's AWS calls go: region (EU by default), profile, and an endpoint override. */
public final class AwsOptions {
  @Option(names = "--region", description = "AWS region (default: ${DEFAULT-VALUE}); regions outside the EU"
      + " are refused unless allowed with --allow-region", defaultValue = "eu-west-1")
  String region;

  @Option(names = "--allow-region", description = "allow this non-EU region explicitly (GDPR: only if the data"
      + " may leave the EU); repeatable")
  List<String> allowRegions = new ArrayList<>();

  @Option(names = "--profile", description = "AWS profile (default: the AWS default credentials chain:"
      + " AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, SSO, web identity, instance role)")
  String profile;

  @Option(names = "--endpoint-url", hidden = true, description = "send every AWS call to this URL (tests,"
      + " VPC endpoints)")
  URI endpoint;

  RegionPolicy policy() {
    return RegionPolicy.euOnly().allowing(allowRegions);
  }

  /** Client settings; throws RegionNotAllowedException for a refused region. */
  AwsSettings settings() {
    return AwsSettings.builder().region(region).policy(policy()).profile(profile).endpoint(endpoint).build();
  }
}
