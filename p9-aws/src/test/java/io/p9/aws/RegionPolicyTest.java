package io.p9.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.regions.Region;

class RegionPolicyTest {
  @Test
  void defaultIsAnEuRegionAndEuRegionsPass() {
    RegionPolicy p = RegionPolicy.euOnly();
    assertThat(p.check(null)).isEqualTo(Region.EU_WEST_1);
    assertThat(p.check(" ")).isEqualTo(Region.EU_WEST_1);
    assertThat(p.check("eu-west-3")).isEqualTo(Region.EU_WEST_3);
    assertThat(p.check("EU-Central-1")).isEqualTo(Region.EU_CENTRAL_1);
    assertThat(RegionPolicy.EU_REGIONS).contains(RegionPolicy.DEFAULT_REGION.id());
  }

  @Test
  void regionsOutsideTheEuAreRefusedWithTheOverrideNamed() {
    RegionPolicy p = RegionPolicy.euOnly();
    for (String r : List.of("us-east-1", "eu-west-2", "eu-central-2", "ap-southeast-1")) {
      assertThatThrownBy(() -> p.check(r)).isInstanceOf(RegionPolicy.RegionNotAllowedException.class)
          .hasMessageContaining(r).hasMessageContaining("--allow-region " + r).hasMessageContaining("GDPR");
    }
  }

  @Test
  void explicitOverrideAllowsOnlyTheNamedRegion() {
    RegionPolicy p = RegionPolicy.euOnly().allowing(List.of("us-east-1"));
    assertThat(p.check("us-east-1")).isEqualTo(Region.US_EAST_1);
    assertThatThrownBy(() -> p.check("us-west-2")).isInstanceOf(RegionPolicy.RegionNotAllowedException.class);
    assertThat(RegionPolicy.euOnly().allows("us-east-1")).as("the base policy is unchanged").isFalse();
  }

  @Test
  void notARegionName() {
    assertThatThrownBy(() -> RegionPolicy.euOnly().check("paris")).hasMessageContaining("not an AWS region name");
  }

  @Test
  void clientsRefuseARegionOutsideThePolicy() {
    assertThatThrownBy(() -> AwsSettings.builder().region("us-east-1").build())
        .isInstanceOf(RegionPolicy.RegionNotAllowedException.class);
    assertThat(AwsSettings.builder().build().region()).isEqualTo(Region.EU_WEST_1);
  }
}
