package io.p9.spark.ml.internal;

import java.io.Serializable;
import java.util.function.Predicate;
import scala.runtime.AbstractFunction1;

/** Serializable param validators for the checks {@code ParamValidators} does not offer. */
public final class Validators {
  private Validators() {}

  /** A serializable predicate. */
  public interface Check<T> extends Predicate<T>, Serializable {}

  /** Adapts {@code check} to the validator type Spark params take. */
  public static <T> scala.Function1<T, Object> of(Check<T> check) {
    return new Fn<>(check);
  }

  public static scala.Function1<String, Object> nonBlank() {
    return of(s -> s != null && !s.isBlank());
  }

  private static final class Fn<T> extends AbstractFunction1<T, Object> implements Serializable {
    private static final long serialVersionUID = 1L;
    private final Check<T> check;

    Fn(Check<T> check) {
      this.check = check;
    }

    @Override
    public Object apply(T v) {
      return check.test(v);
    }
  }
}
