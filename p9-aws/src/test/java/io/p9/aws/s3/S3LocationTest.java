package io.p9.aws.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Bucket names as S3's naming rules for general purpose buckets take them. */
class S3LocationTest {
  @Test
  void bucketNamesAgainstS3sRulesAreRefusedWithTheRule() {
    Map<String, List<String>> refused = Map.of(
        "3 to 63 characters", List.of("ab", "a".repeat(64)),
        "lowercase letters, digits, dots and hyphens only", List.of("ABC", "my_bucket"),
        "begin and end with a letter or digit", List.of("-abc", "abc."),
        "no two adjacent dots", List.of("a..b"),
        "not formatted as an IP address", List.of("192.168.1.1"),
        "not start with xn--, sthree- or amzn-s3-demo-", List.of("xn--abc", "sthree-abc", "amzn-s3-demo-bucket"),
        "not end with -s3alias, --ol-s3, .mrap, --x-s3 or --table-s3",
        List.of("abc-s3alias", "abc--ol-s3", "abc.mrap", "abc--x-s3", "abc--table-s3"));
    refused.forEach((rule, names) -> names.forEach(name ->
        assertThatThrownBy(() -> S3Location.parse("s3://" + name + "/k")).as(name)
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("'" + name + "' is not a valid S3 bucket name: " + rule + " (S3's bucket naming rules)")));
  }

  @Test
  void validNamesIncludingDottedOnesAreKept() {
    for (String name : new String[] {"abc", "a".repeat(63), "p9-bucket", "p9.dotted.fruits", "1.2.3", "192.168.1.1a",
        "my-xn--bucket", "s3alias-abc", "a-b.c-d"}) {
      assertThat(S3Location.parse("s3a://" + name + "/k").bucket()).as(name).isEqualTo(name);
    }
  }
}
