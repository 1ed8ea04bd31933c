package io.p9.core.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/**
 * Finds the {@link ModelBackend} for a model file: by name, or recognised from the file. p9-core registers
 * {@code onnx} (ONNX Runtime) and {@code dl4j} (Deeplearning4j: DL4J zips, Keras .h5; its dependencies are
 * optional, and it says which are missing when it loads a model without them).
 */
public final class ModelBackends {
  private static volatile List<ModelBackend> backends;

  private ModelBackends() {}

  /**
   * {@return all backends on the class path, ONNX Runtime first} One whose optional dependencies are missing is
   * left out. Found once per class loader.
   */
  public static List<ModelBackend> all() {
    List<ModelBackend> b = backends;
    if (b == null) {
      List<ModelBackend> found = new ArrayList<>();
      var it = ServiceLoader.load(ModelBackend.class, ModelBackends.class.getClassLoader()).iterator();
      while (true) {
        try {
          if (!it.hasNext()) {
            break;
          }
          found.add(it.next());
        } catch (ServiceConfigurationError | LinkageError e) {
          // A backend whose optional dependencies are absent (e.g. DL4J) is skipped; select() says why.
        }
      }
      found.sort((x, y) -> Boolean.compare(!"onnx".equals(x.name()), !"onnx".equals(y.name())));
      backends = b = List.copyOf(found);
    }
    return b;
  }

  /**
   * The backend for {@code model}: {@code backend} names one, or {@code auto} picks the first that
   * recognises the file.
   *
   * @param backend a backend name or {@code auto} (case does not matter)
   * @param model the model file
   * @return the backend
   * @throws ModelException if no backend has that name, or none recognises the file
   */
  public static ModelBackend select(String backend, ModelBytes model) {
    String want = backend.toLowerCase(Locale.ROOT);
    if (!ModelOptions.AUTO.equals(want)) {
      for (ModelBackend b : all()) {
        if (b.name().equals(want)) {
          return b;
        }
      }
      throw new ModelException("no model backend '" + backend + "' on the class path (have "
          + names() + ")");
    }
    byte[] head = Arrays.copyOf(model.bytes(), Math.min(64, model.bytes().length));
    for (ModelBackend b : all()) {
      if (b.recognizes(model.name(), head)) {
        return b;
      }
    }
    throw new ModelException("no backend recognises model " + model + " (have " + names()
        + "): p9 runs ONNX models (.onnx) with ONNX Runtime, and DL4J zips and Keras .h5 files with"
        + " Deeplearning4j; choose a backend explicitly if the file name and first bytes are unusual");
  }

  private static List<String> names() {
    return all().stream().map(ModelBackend::name).toList();
  }
}
