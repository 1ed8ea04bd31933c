package io.p9.aws.emr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p9.aws.SparkJob;
import io.p9.aws.s3.S3Location;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EmrClusterSpecTest {
  private static EmrClusterSpec.Builder spec() {
    return EmrClusterSpec.builder().logUri(S3Location.parse("s3://p9-bucket/logs"));
  }

  /** Blank or mistyped instance types and blank roles fail before anything is uploaded, not at EMR. */
  @Test
  void instanceTypesAndRolesAreCheckedBeforeTheRequest() {
    for (String bad : new String[] {"", " ", "m5xlarge", "M5.XLARGE", "m5.xlarge "}) {
      assertThatThrownBy(() -> spec().primaryType(bad).build()).as("'%s'", bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("'" + bad + "' is not an EC2 instance type (family.size, e.g. m5.xlarge)");
      assertThatThrownBy(() -> spec().coreTypes(java.util.List.of("m5.xlarge", bad)).fleets(true).build())
          .as("'%s'", bad).hasMessageContaining("'" + bad + "' is not an EC2 instance type");
    }
    for (String good : new String[] {"m5.xlarge", "r7g.2xlarge", "m7i-flex.large", "u-6tb1.metal", "c5d.metal"}) {
      assertThat(spec().primaryType(good).build().primaryType()).isEqualTo(good);
    }
    assertThatThrownBy(() -> spec().serviceRole(" ").build()).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("the service role and the instance profile may not be blank");
    assertThatThrownBy(() -> spec().instanceProfile("").build()).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("the service role and the instance profile may not be blank");
  }

  @Test
  void theProjectTagStaysP9() {
    // The IAM policies in examples/iam/ let the launcher create only clusters tagged project=p9.
    for (Map.Entry<String, String> t : Map.of("project", "other", "Project", "p9", "PROJECT", "x").entrySet()) {
      assertThatThrownBy(() -> spec().tag(t.getKey(), t.getValue()).build()).as(t.toString())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("tag '" + t.getKey() + "=" + t.getValue() + "' is not allowed: p9 tags what it creates"
              + " project=p9, which the IAM policies in examples/iam/ require; use another key");
    }
    EmrClusterSpec s = spec().tag("project", "p9").tag("team", "ml").build();
    assertThat(s.tags()).containsExactly(Map.entry("project", "p9"), Map.entry("team", "ml"));
    assertThat(EmrRequests.runJobFlow(s, new io.p9.aws.SparkJob("p9", S3Location.parse("s3://p9-bucket/j.jar"),
        "C", java.util.List.of(), Map.of())).tags()).extracting(x -> x.key() + "=" + x.value())
        .containsExactly("project=p9", "team=ml");
  }

  @Test
  void tagsAreOnesEmrTakes() {
    // EMR: EC2's tag restrictions (50 tags, keys 1 to 128, values 0 to 256 characters), letters of any language,
    // digits, white space and _ . : / = + - @, no aws: prefix
    Map<String, String> refused = Map.of("k".repeat(129), "v", "team", "v".repeat(257), "cost#center", "x",
        "group", "ml!", "", "x", "aws:owner", "me", "owner", "AWS:me");
    refused.forEach((k, v) -> assertThatThrownBy(() -> spec().tag(k, v).build()).as(k + "=" + v)
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("refused by AWS"));
    EmrClusterSpec.Builder many = spec();
    for (int i = 0; i < 50; i++) {
      many.tag("t" + i, "v");
    }
    assertThatThrownBy(many::build).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("EMR takes at most 50 tags on a resource, got 51");
    EmrClusterSpec ok = spec().tag("k".repeat(128), "v".repeat(256)).tag("\u00e9quipe", "donn\u00e9es 2")
        .tag("cost-center", "").tag("a_b.c:d/e=f+g-h@i", "x y").build();
    assertThat(ok.tags()).hasSize(5);
  }

  @Test
  void theClusterNameIsOneRunJobFlowTakes() {
    // RunJobFlow Name: up to 256 characters that XML allows
    for (String bad : new String[] {"c".repeat(257), "p9\u0000fruits"}) {
      assertThatThrownBy(() -> spec().name(bad).build()).as(bad).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("EMR cluster name '" + bad + "' (" + bad.length() + " characters) is refused by"
              + " AWS: it takes 0 to 256 characters, with no control characters but tabs and line breaks");
    }
    assertThat(spec().name("c".repeat(256)).build().name()).hasSize(256);
    assertThat(spec().name("p9 fruits \u00e9t\u00e9").build().name()).isEqualTo("p9 fruits \u00e9t\u00e9");
  }

  @Test
  void aCoreFleetHasAsManyInstanceTypesAsEmrTakes() {
    // InstanceTypeConfig: at most 5 per fleet without an allocation strategy, 30 with one (p9 sets one for spot)
    List<String> six = List.of("m5.xlarge", "m5a.xlarge", "m5d.xlarge", "m6i.xlarge", "m6a.xlarge", "m7i.xlarge");
    assertThatThrownBy(() -> spec().fleets(true).coreTypes(six).build()).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("an on-demand core fleet takes at most 5 instance types, got 6: EMR takes up to 30 only with an"
            + " allocation strategy, which p9 sets for spot (--spot)");
    EmrClusterSpec spot = spec().fleets(true).coreMarket(EmrClusterSpec.Market.SPOT).coreTypes(six).build();
    assertThat(EmrRequests.instances(spot).instanceFleets().get(1).instanceTypeConfigs()).hasSize(6);
    List<String> many = new ArrayList<>();
    for (int i = 0; i < 31; i++) {
      many.add("m5.xlarge" + i);
    }
    assertThatThrownBy(() -> spec().fleets(true).coreMarket(EmrClusterSpec.Market.SPOT).coreTypes(many).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("a spot core fleet takes at most 30 instance types, got 31");
    assertThat(EmrRequests.instances(spec().fleets(true).coreTypes(six.subList(0, 5)).build()).instanceFleets()
        .get(1).instanceTypeConfigs()).hasSize(5);
  }

  @Test
  void theStepsArgumentsAreOnesEmrTakes() {
    // HadoopJarStepConfig Args: each up to 10280 characters that XML allows
    S3Location jar = S3Location.parse("s3://p9-bucket/j.jar");
    Map<SparkJob, String> refused = Map.of(
        new SparkJob("p9", jar, "C", List.of("run"), Map.of("spark.x", "v".repeat(10_273))),
        "an EMR step argument has at most 10280 characters, with no control characters but tabs and line breaks:"
            + " argument 7 of 9 (spark.x=" + "v".repeat(42) + "...) has 10281",
        new SparkJob("p9", jar, "C", List.of("run", "--master", "a\u0000b"), Map.of()),
        "an EMR step argument has at most 10280 characters, with no control characters but tabs and line breaks:"
            + " argument 9 of 9 (a\u0000b) has 3");
    refused.forEach((job, message) -> {
      assertThatThrownBy(() -> EmrRequests.runJobFlow(spec().build(), job)).as(message)
          .isInstanceOf(IllegalArgumentException.class).hasMessage(message);
      assertThatThrownBy(() -> EmrRequests.addStep("j-1", job)).as(message)
          .isInstanceOf(IllegalArgumentException.class).hasMessage(message);
    });
    SparkJob most = new SparkJob("p9", jar, "C", List.of("run"), Map.of("spark.x", "v".repeat(10_272)));
    assertThat(EmrRequests.runJobFlow(spec().build(), most).steps()).hasSize(1);
    assertThat(EmrRequests.addStep("j-1", most).steps().get(0).hadoopJarStep().args()).contains(
        "spark.x=" + "v".repeat(10_272));
  }
}
