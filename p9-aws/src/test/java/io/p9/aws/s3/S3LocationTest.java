package io.p9.aws.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Bucket names as S3's naming rules for general purpose buckets take them. */
class S3LocationTest {
  @Test
  void bucketNamesAgainstS3sRulesAreRefusedWithTheRule() {
    Map<String, String> refused = Map.ofEntries(
        Map.entry("ab", "3 to 63 characters"),
        Map.entry("a".repeat(64), "3 to 63 characters"),
        Map.entry("ABC", "lowercase letters, digits, dots and hyphens only"),
        Map.entry("my_bucket", "lowercase letters, digits, dots and hyphens only"),
        Map.entry("-abc", "begin and end with a letter or digit"),
        Map.entry("abc.", "begin and end with a letter or digit"),
        Map.entry("a..b", "no two adjacent dots"),
        Map.entry("192.168.1.1", "not formatted as an IP address"),
        Map.entry("xn--abc", "not start with xn--, sthree- or amzn-s3-demo-"),
        Map.entry("sthree-abc", "not start with xn--, sthree- or amzn-s3-demo-"),
        Map.entry("amzn-s3-demo-bucket", "not start with xn--, sthree- or amzn-s3-demo-"),
        Map.entry("abc-s3alias", "not end with -s3alias, --ol-s3, .mrap, --x-s3 or --table-s3"),
        Map.entry("abc--ol-s3", "not end with -s3alias, --ol-s3, .mrap, --x-s3 or --table-s3"),
        Map.entry("abc.mrap", "not end with -s3alias, --ol-s3, .mrap, --x-s3 or --table-s3"),
        Map.entry("abc--x-s3", "not end with -s3alias, --ol-s3, .mrap, --x-s3 or --table-s3"),
        Map.entry("abc--table-s3", "not end with -s3alias, --ol-s3, .mrap, --x-s3 or --table-s3"));
    refused.forEach((name, rule) -> assertThatThrownBy(() -> S3Location.parse("s3://" + name + "/k")).as(name)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("'" + name + "' is not a valid S3 bucket name: " + rule + " (S3's bucket naming rules)"));
  }

  @Test
  void validNamesIncludingDottedOnesAreKept() {
    for (String name : new String[] {"abc", "a".repeat(63), "p9-bucket", "p9.dotted.fruits", "1.2.3", "192.168.1.1a",
        "my-xn--bucket", "s3alias-abc", "a-b.c-d"}) {
      assertThat(S3Location.parse("s3a://" + name + "/k").bucket()).as(name).isEqualTo(name);
    }
  }
}
