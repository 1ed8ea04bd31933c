package io.p9.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p9.aws.testing.FakeClock;
import java.time.Duration;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class BackoffTest {
  @Test
  void delaysGrowGeometricallyUpToTheMaximum() {
    Backoff b = new FakeClock().backoff(Duration.ofHours(1));
    assertThat(b.delay(1)).isEqualTo(Duration.ofSeconds(10));
    assertThat(b.delay(2)).isEqualTo(Duration.ofSeconds(20));
    assertThat(b.delay(3)).isEqualTo(Duration.ofSeconds(40));
    assertThat(b.delay(4)).isEqualTo(Duration.ofSeconds(60));
    assertThat(b.delay(40)).isEqualTo(Duration.ofSeconds(60));
  }

  @Test
  void untilReturnsTheFirstValueAndSleepsBetweenPolls() throws Exception {
    FakeClock clock = new FakeClock();
    AtomicInteger n = new AtomicInteger();
    String v = clock.backoff(Duration.ofHours(1)).until(() -> n.incrementAndGet() == 3 ? "done" : null);
    assertThat(v).isEqualTo("done");
    assertThat(clock.sleeps).containsExactly(Duration.ofSeconds(10), Duration.ofSeconds(20));
  }

  @Test
  void theLastPollHappensAtTheDeadline() {
    FakeClock clock = new FakeClock();
    AtomicInteger n = new AtomicInteger();
    assertThatThrownBy(() -> clock.backoff(Duration.ofSeconds(45)).until(() -> {
      n.incrementAndGet();
      return null;
    })).isInstanceOf(TimeoutException.class).hasMessageContaining("45s").hasMessageContaining("4 polls");
    assertThat(clock.sleeps).containsExactly(Duration.ofSeconds(10), Duration.ofSeconds(20), Duration.ofSeconds(15));
  }

  @Test
  void durations() {
    assertThat(Durations.parse("250ms")).isEqualTo(Duration.ofMillis(250));
    assertThat(Durations.parse("90s")).isEqualTo(Duration.ofSeconds(90));
    assertThat(Durations.parse("15m")).isEqualTo(Duration.ofMinutes(15));
    assertThat(Durations.parse("2h")).isEqualTo(Duration.ofHours(2));
    assertThat(Durations.parse("PT30M")).isEqualTo(Duration.ofMinutes(30));
    assertThatThrownBy(() -> Durations.parse("soon")).hasMessageContaining("not a duration");
    assertThat(Durations.human(Duration.ofSeconds(3725))).isEqualTo("1h02m");
    assertThat(Durations.human(Duration.ofSeconds(185))).isEqualTo("3m05s");
  }
}
