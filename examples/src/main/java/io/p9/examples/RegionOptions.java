package io.p9.examples;

import io.p9.aws.RegionPolicy;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** {@code --region} (EU by default) and {@code --allow-region}: for the job's S3A options and the launchers. */
public final class RegionOptions {
  @Option(names = "--region", description = "AWS region (default: ${DEFAULT-VALUE}); regions outside the EU"
      + " are refused unless allowed with --allow-region", defaultValue = "eu-west-1")
  String region;

  @Option(names = "--allow-region", description = "allow this non-EU region explicitly (GDPR: only if the data"
      + " may leave the EU); repeatable")
  List<String> allowRegions = new ArrayList<>();

  RegionPolicy policy() {
    return RegionPolicy.euOnly().allowing(allowRegions);
  }

  /** The region's id; throws RegionNotAllowedException for a refused region. */
  String checked() {
    return policy().check(region).id();
  }
}
