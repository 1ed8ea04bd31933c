package io.p9.spark.ml.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.MLReader;

/**
 * The checks every p9 stage passes (after Spark's ParamsSuite and SynapseML's fuzzing): params sorted and
 * owned by the stage, a getter and a setter returning the concrete class per param, documented params,
 * {@code copy} of the concrete class with the same uid and params, a {@code (String uid)} constructor
 * (estimators and transformers; models come from their estimator) and static {@code read()}/{@code load}.
 */
public final class StageContract {
  private StageContract() {}

  public static void check(PipelineStage stage) {
    Class<?> cls = stage.getClass();
    Param<?>[] params = stage.params();
    assertThat(params).as("%s has params", cls.getSimpleName()).isNotEmpty();
    List<String> names = Arrays.stream(params).map(Param::name).toList();
    assertThat(names).as("params sorted by name").isSorted();
    for (Param<?> p : params) {
      assertThat(p.parent()).as("parent of %s", p.name()).isEqualTo(stage.uid());
      assertThat(p.doc()).as("doc of %s", p.name()).isNotBlank();
      String cap = Character.toUpperCase(p.name().charAt(0)) + p.name().substring(1);
      assertThat(method(cls, "get" + cap)).as("getter get%s", cap).isNotNull();
      Method setter = Arrays.stream(cls.getMethods()).filter(m -> m.getName().equals("set" + cap)
          && m.getParameterCount() == 1).findFirst().orElse(null);
      if (setter != null) {
        assertThat(setter.getReturnType()).as("set%s returns the concrete class", cap).isEqualTo(cls);
      }
    }
    PipelineStage copy = stage.copy(ParamMap.empty());
    assertThat(copy).isNotSameAs(stage).isExactlyInstanceOf(cls);
    assertThat(copy.uid()).isEqualTo(stage.uid());
    if (stage instanceof org.apache.spark.ml.Model<?> model && model.hasParent()) {
      assertThat(((org.apache.spark.ml.Model<?>) copy).parent()).as("the copy's parent").isSameAs(model.parent());
    }
    for (Param<?> p : params) {
      assertThat(copy.isSet(p)).as("copy keeps whether %s is set", p.name()).isEqualTo(stage.isSet(p));
      if (stage.isDefined(p)) {
        assertThat(valueString(copy.getOrDefault(copy.getParam(p.name()))))
            .as("copy keeps %s", p.name()).isEqualTo(valueString(stage.getOrDefault(p)));
      }
    }
    try {
      if (!(stage instanceof org.apache.spark.ml.Model)) {
        cls.getConstructor(String.class);
      }
      Method read = cls.getMethod("read");
      assertThat(MLReader.class.isAssignableFrom(read.getReturnType())).isTrue();
      cls.getMethod("load", String.class);
    } catch (NoSuchMethodException e) {
      throw new AssertionError(cls.getSimpleName() + " lacks " + e.getMessage(), e);
    }
  }

  /**
   * Getters and setters use their own param: for each defined param, {@code getX()} is its value; for each
   * param with a setter, {@code setX(sample)} on a copy returns that copy, sets that param to the sample (read
   * back by the param and by {@code getX()}) and leaves every other param as it was; {@code copy} with the
   * sample in its extra {@code ParamMap} has it and leaves the original as it was. {@code samples} holds a
   * valid value, other than the stage's, for every param with a setter (a new setter without one fails here).
   */
  public static void checkAccessors(PipelineStage stage, Map<String, Object> samples) {
    Class<?> cls = stage.getClass();
    for (Param<?> p : stage.params()) {
      String cap = Character.toUpperCase(p.name().charAt(0)) + p.name().substring(1);
      if (stage.isDefined(p)) {
        assertThat(valueString(invoke(method(cls, "get" + cap), stage))).as("get%s()", cap)
            .isEqualTo(valueString(stage.getOrDefault(p)));
      }
      Method setter = Arrays.stream(cls.getMethods()).filter(m -> m.getName().equals("set" + cap)
          && m.getParameterCount() == 1).findFirst().orElse(null);
      if (setter == null) {
        assertThat(samples).as("sample for %s, which has no setter", p.name()).doesNotContainKey(p.name());
        continue;
      }
      assertThat(samples).as("a sample value for set%s", cap).containsKey(p.name());
      Object sample = samples.get(p.name());
      @SuppressWarnings("unchecked")
      Param<Object> own = (Param<Object>) p;
      assertThat((Boolean) own.isValid().apply(sample)).as("sample for %s is valid", p.name()).isTrue();
      if (stage.isDefined(p)) {
        assertThat(valueString(sample)).as("sample for %s differs from the stage's value", p.name())
            .isNotEqualTo(valueString(stage.getOrDefault(p)));
      }
      PipelineStage copy = stage.copy(ParamMap.empty());
      assertThat(invoke(setter, copy, sample)).as("set%s returns the stage it set", cap).isSameAs(copy);
      Param<Object> set = copy.getParam(p.name());
      assertThat(copy.isSet(set)).as("set%s sets %s", cap, p.name()).isTrue();
      assertThat(valueString(copy.getOrDefault(set))).as("%s after set%s", p.name(), cap)
          .isEqualTo(valueString(sample));
      assertThat(valueString(invoke(method(cls, "get" + cap), copy))).as("get%s() after set%s", cap, cap)
          .isEqualTo(valueString(sample));
      String before = valueString(stage.isDefined(p) ? stage.getOrDefault(p) : null);
      PipelineStage extra = stage.copy(ParamMap.empty().put(own, sample));
      assertThat(valueString(invoke(method(cls, "get" + cap), extra)))
          .as("get%s() of copy(%s -> sample)", cap, p.name()).isEqualTo(valueString(sample));
      assertThat(valueString(stage.isDefined(p) ? stage.getOrDefault(p) : null))
          .as("copy(%s -> sample) leaves the original", p.name()).isEqualTo(before);
      for (Param<?> other : stage.params()) {
        if (other.name().equals(p.name())) {
          continue;
        }
        Param<Object> o = copy.getParam(other.name());
        assertThat(copy.isSet(o)).as("set%s leaves whether %s is set", cap, other.name())
            .isEqualTo(stage.isSet(other));
        if (stage.isDefined(other)) {
          assertThat(valueString(copy.getOrDefault(o))).as("set%s leaves %s", cap, other.name())
              .isEqualTo(valueString(stage.getOrDefault(other)));
        }
      }
    }
  }

  private static Object invoke(Method m, Object target, Object... args) {
    try {
      return m.invoke(target, args);
    } catch (ReflectiveOperationException e) {
      throw new AssertionError(m + " on " + target, e);
    }
  }

  static String valueString(Object v) {
    if (v instanceof double[] d) {
      return Arrays.toString(d);
    }
    return String.valueOf(v);
  }

  private static Method method(Class<?> cls, String name) {
    try {
      return cls.getMethod(name);
    } catch (NoSuchMethodException e) {
      return null;
    }
  }
}
