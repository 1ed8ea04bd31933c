package io.p9.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p9.aws.testing.FakeClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
  void transientFailuresCountAsNoAnswerUpToTheToleratedNumberInARow() throws Exception {
    FakeClock clock = new FakeClock();
    AtomicInteger n = new AtomicInteger();
    List<String> reported = new ArrayList<>();
    // polls: fail, fail, null, fail, fail, "done": never more than 2 failures in a row
    String v = clock.backoff(Duration.ofHours(1)).until(() -> {
      int i = n.incrementAndGet();
      if (i == 1 || i == 2 || i == 4 || i == 5) {
        throw new IllegalStateException("flaky " + i);
      }
      return i == 6 ? "done" : null;
    }, e -> e instanceof IllegalStateException, 2, (e, k) -> reported.add(e.getMessage() + "/" + k));
    assertThat(v).isEqualTo("done");
    assertThat(reported).containsExactly("flaky 1/1", "flaky 2/2", "flaky 4/1", "flaky 5/2");
    assertThat(clock.sleeps).hasSize(5);
  }

  @Test
  void theFailureAfterTheToleratedOnesAndAnyOtherFailureAreThrown() {
    FakeClock clock = new FakeClock();
    AtomicInteger n = new AtomicInteger();
    assertThatThrownBy(() -> clock.backoff(Duration.ofHours(1)).until(() -> {
      throw new IllegalStateException("down " + n.incrementAndGet());
    }, e -> e instanceof IllegalStateException, 2, (e, k) -> { })).hasMessage("down 3");
    assertThatThrownBy(() -> clock.backoff(Duration.ofHours(1)).until(() -> {
      throw new IllegalArgumentException("refused");
    }, e -> e instanceof IllegalStateException, 2, (e, k) -> { })).hasMessage("refused");
    assertThat(clock.sleeps).hasSize(2);
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
