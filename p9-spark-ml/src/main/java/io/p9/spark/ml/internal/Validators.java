package io.p9.spark.ml.internal;

import java.io.Serializable;
import java.util.function.Predicate;
import scala.runtime.AbstractFunction1;

/** Serializable param validators for the checks {@code ParamValidators} does not offer. */
public final class Validators {
  private Validators() {}

  /**
   * A serializable predicate.
   *
   * @param <T> the type of the value it checks
   */
  public interface Check<T> extends Predicate<T>, Serializable {}

  /**
   * Adapts {@code check} to the validator type Spark params take.
   *
   * @param <T> the param's value type
   * @param check true for a valid value
   * @return the validator
   */
  public static <T> scala.Function1<T, Object> of(Check<T> check) {
    return new Fn<>(check);
  }

  /** {@return a validator of strings that are neither null nor blank} */
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
