package io.p9.spark.ml.internal;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;

/**
 * The line {@code explainParams} gives for one param, as Spark's {@code Params.explainParam} writes it
 * ({@code name: doc (default: ..., current: ...)}, or {@code (undefined)}), except that a value that is an array
 * shows as the param's JSON ({@code [0.485,0.456,0.406]}) where Spark shows the array's identity
 * ({@code [D@1a2b3c}).
 */
public final class ParamExplanations {
  private ParamExplanations() {}

  /**
   * {@return the explanation of {@code param} of {@code owner}}
   *
   * @param owner the stage
   * @param param one of its params
   */
  public static String explain(Params owner, Param<?> param) {
    @SuppressWarnings("unchecked")
    Param<Object> p = (Param<Object>) param;
    String head = p.name() + ": " + p.doc();
    if (!owner.isDefined(p)) {
      return head + " (undefined)";
    }
    List<String> values = new ArrayList<>();
    if (owner.hasDefault(p)) {
      values.add("default: " + text(p, owner.getDefault(p).get()));
    }
    if (owner.isSet(p)) {
      values.add("current: " + text(p, owner.get(p).get()));
    }
    return head + " (" + String.join(", ", values) + ")";
  }

  private static String text(Param<Object> param, Object value) {
    return value != null && value.getClass().isArray() ? param.jsonEncode(value) : String.valueOf(value);
  }
}
