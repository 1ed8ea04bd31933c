package io.p9.spark.ml;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.ml.PipelineStage;
import org.junit.jupiter.api.Test;

/**
 * The meta-test: every public Spark stage in io.p9.spark.ml has a test class with a {@code contract} test
 * (StageContract) and a save/load round trip. A new stage without them fails here.
 */
class StageCoverageTest {
  /** Stages tested in another stage's test class (models in their estimator's). */
  static final Map<String, String> TESTED_IN = Map.of("PcaReducerModel", "PcaReducerTest");

  @Test
  void everyStageHasContractAndRoundTripTests() throws Exception {
    List<Class<?>> stages = stagesInPackage();
    assertThat(stages).extracting(Class::getSimpleName)
        .contains("ImageLoader", "CnnFeaturizer", "PcaReducer", "PcaReducerModel");
    for (Class<?> stage : stages) {
      String testName = TESTED_IN.getOrDefault(stage.getSimpleName(), stage.getSimpleName() + "Test");
      Class<?> test;
      try {
        test = Class.forName("io.p9.spark.ml." + testName);
      } catch (ClassNotFoundException e) {
        throw new AssertionError(stage.getSimpleName() + " has no test class " + testName, e);
      }
      List<String> methods = Arrays.stream(test.getDeclaredMethods()).map(Method::getName).toList();
      assertThat(methods).as("%s tests of %s", testName, stage.getSimpleName()).contains("contract");
      assertThat(methods).as("%s round trip", testName).anyMatch(m -> m.toLowerCase().contains("roundtrip")
          || m.toLowerCase().contains("saved"));
    }
  }

  static List<Class<?>> stagesInPackage() throws URISyntaxException, java.io.IOException {
    Path dir = Path.of(ImageLoader.class.getProtectionDomain().getCodeSource().getLocation().toURI())
        .resolve("io/p9/spark/ml");
    List<Class<?>> out = new ArrayList<>();
    try (Stream<Path> s = Files.list(dir)) {
      for (Path f : s.filter(p -> p.toString().endsWith(".class") && !p.toString().contains("$")).toList()) {
        String name = f.getFileName().toString().replace(".class", "");
        try {
          Class<?> c = Class.forName("io.p9.spark.ml." + name);
          if (PipelineStage.class.isAssignableFrom(c) && Modifier.isPublic(c.getModifiers())
              && !Modifier.isAbstract(c.getModifiers())) {
            out.add(c);
          }
        } catch (ClassNotFoundException e) {
          throw new AssertionError(e);
        }
      }
    }
    return out;
  }
}
