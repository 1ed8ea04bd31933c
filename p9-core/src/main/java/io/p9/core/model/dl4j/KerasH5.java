package io.p9.core.model.dl4j;

import static org.bytedeco.hdf5.global.hdf5.H5E_DEFAULT;
import static org.bytedeco.hdf5.global.hdf5.H5Eget_auto2;
import static org.bytedeco.hdf5.global.hdf5.H5Eset_auto2;
import static org.bytedeco.hdf5.global.hdf5.H5F_ACC_RDONLY;
import static org.bytedeco.hdf5.global.hdf5.H5T_STRING;
import static org.bytedeco.hdf5.global.hdf5.H5free_memory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.p9.core.model.ModelBytes;
import io.p9.core.model.ModelException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.bytedeco.hdf5.Attribute;
import org.bytedeco.hdf5.DataSpace;
import org.bytedeco.hdf5.DataType;
import org.bytedeco.hdf5.H5E_auto2_t;
import org.bytedeco.hdf5.H5File;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.modelimport.keras.Hdf5Archive;
import org.deeplearning4j.nn.modelimport.keras.KerasModel;
import org.deeplearning4j.nn.modelimport.keras.utils.KerasModelBuilder;

/**
 * Imports a Keras {@code .h5} (the whole-model file of {@code model.save('m.h5')}: architecture in the root
 * attribute {@code model_config}, weights under {@code model_weights}) with DL4J's Keras import into a
 * {@code ComputationGraph}. A Sequential model is imported as the equivalent Functional one
 * ({@link #sequentialAsFunctional}).
 *
 * <p>p9 reads the root attributes ({@code model_config}, {@code keras_version}, {@code backend}) itself and
 * hands DL4J the configuration JSON plus the weights group. DL4J's own reader of those attributes reads
 * fixed-length strings into guessed buffer sizes (2 KB first, 5 bytes for the version), so larger configs,
 * or versions like {@code 2.12.0}, write past its buffers, and it cannot read the variable-length strings
 * h5py writes for Python {@code str} (as Keras writes {@code keras_version} and {@code backend}). Here the
 * attribute's own size is used and both string kinds are read. The weights are still read by DL4J. A file
 * written by Keras 3 ({@code keras_version} 3.x) is refused with advice before DL4J sees it: DL4J 1.0.0-M2.1
 * refuses every Keras major version but 1 and 2.
 */
final class KerasH5 {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** The HDF5 error printer and its argument while {@link #quietly} runs; guarded by DL4J's HDF5 lock. */
  private static H5E_auto2_t savedPrinter;
  private static PointerPointer<Pointer> savedPrinterData;

  private KerasH5() {}

  static Dl4jLoader.Loaded load(ModelBytes model) {
    Path tmp;
    try {
      tmp = Files.createTempFile("p9-keras-" + model.shortSha() + "-", ".h5");
      Files.write(tmp, model.bytes());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write a temporary copy of " + model + " for the HDF5 library", e);
    }
    try {
      return load(model, tmp);
    } finally {
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException ignored) {
        // a temp file left behind is harmless
      }
    }
  }

  private static Dl4jLoader.Loaded load(ModelBytes model, Path file) {
    String[] attributes;
    try {
      attributes = quietly(() -> {
        H5File h5 = new H5File(file.toString(), H5F_ACC_RDONLY());
        try {
          return new String[] {stringAttribute(h5, "model_config"), stringAttribute(h5, "keras_version"),
              stringAttribute(h5, "backend")};
        } finally {
          h5._close();
          h5.deallocate();
        }
      });
    } catch (ModelException e) {
      throw e;
    } catch (Exception e) {
      // the HDF5 library throws a bare RuntimeException ("H5Fopen failed", "H5Aread failed") for a file it
      // cannot read; the operation it names is all it says, its diagnostic dump being off
      throw new ModelException(model + " is not a readable HDF5 file (" + e.getMessage() + "): is it cut"
          + " short or damaged?", e);
    }
    String modelConfig = attributes[0];
    String kerasVersion = attributes[1];
    String backend = attributes[2];
    if (modelConfig == null) {
      throw new ModelException(model + " is an HDF5 file without the Keras 'model_config' attribute: p9 needs the"
          + " whole model (model.save('model.h5')), not weights alone (save_weights)");
    }
    if (kerasVersion != null && majorVersion(kerasVersion) >= 3) {
      throw new ModelException(model + " was written by Keras " + kerasVersion + ": DL4J's Keras import ("
          + Dl4jBackend.DL4J_VERSION + ") reads only files written by Keras 1 or 2. Save the model with Keras 2"
          + " (tf.keras of TensorFlow 2.15 or earlier, or tf_keras), or convert it to ONNX and use the onnx backend");
    }
    ObjectNode config;
    try {
      config = (ObjectNode) JSON.readTree(modelConfig);
    } catch (IOException | ClassCastException e) {
      throw new ModelException(model + " has a model_config attribute that is not a JSON object: " + e.getMessage(),
          e);
    }
    String className = config.path("class_name").asText("");
    if (kerasVersion != null) {
      config.put("keras_version", kerasVersion);
    }
    if (backend != null) {
      config.put("backend", backend);
    }
    String kind = "Keras " + className + " .h5" + (kerasVersion != null ? " (Keras " + kerasVersion + ")" : "");
    if ("Sequential".equals(className)) {
      config = sequentialAsFunctional(config);
    } else if (!"Functional".equals(className) && !"Model".equals(className)) {
      throw new ModelException(model + " holds a Keras '" + className + "'; p9 reads Sequential and Functional"
          + " (Model) models");
    }
    long[] inputShape = inputShape(config);
    KerasModelBuilder builder = new KerasModel().modelBuilder();
    try {
      builder.modelJson(config.toString()).weightsHdf5Filename(file.toString()).enforceTrainingConfig(false);
      // DL4J reads the weights with the HDF5 library
      ComputationGraph graph = quietly(() -> builder.buildModel().getComputationGraph());
      return new Dl4jLoader.Loaded(graph, kind, inputShape);
    } catch (ModelException e) {
      throw e;
    } catch (Exception e) {
      throw new ModelException("DL4J's Keras import failed on " + kind + " " + model + ": " + e, e);
    } finally {
      builder.close();
    }
  }

  /**
   * {@code hdf5}, calls into the HDF5 library, run holding DL4J's lock on it (the library is not thread-safe)
   * with the library's automatic error printing off: for a file it cannot read it would write its own dump of
   * its error stack to the process's stderr ({@code HDF5-DIAG: Error detected in HDF5 ...}), where p9 reports
   * the failure as an exception. The printing is saved first and put back after, as it was.
   */
  private static <T> T quietly(Callable<T> hdf5) throws Exception {
    synchronized (Hdf5Archive.LOCK_OBJECT) {
      if (savedPrinter == null) {
        // never called: it only holds the printer H5Eget_auto2 writes into it, for H5Eset_auto2 to put back
        savedPrinter = new H5E_auto2_t() {
          @Override
          public int call(long stack, Pointer clientData) {
            return 0;
          }
        };
        savedPrinterData = new PointerPointer<>(1);
      }
      H5Eget_auto2(H5E_DEFAULT(), savedPrinter, savedPrinterData);
      H5Eset_auto2(H5E_DEFAULT(), null, null);
      try {
        return hdf5.call();
      } finally {
        H5Eset_auto2(H5E_DEFAULT(), savedPrinter, savedPrinterData.get(0));
      }
    }
  }

  /** The major version of a version string like {@code 2.4.0}, or -1 if it does not start with a number. */
  static int majorVersion(String version) {
    String major = version.strip().split("\\.", 2)[0];
    try {
      return Integer.parseInt(major);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /**
   * The Sequential model's configuration rewritten as the equivalent Functional one: each layer's inbound
   * node is the previous layer, and an {@code InputLayer} ({@code <first layer>_input}, as Keras names it)
   * is added when the first layer only carries {@code batch_input_shape}. The weights are unaffected (they
   * are stored per layer name). DL4J's Sequential importer cannot be used: it resolves a layer's input
   * channels before it links the layers, so a {@code DepthwiseConv2D} (MobileNet's) fails to import.
   */
  static ObjectNode sequentialAsFunctional(ObjectNode sequential) {
    JsonNode c = sequential.path("config");
    JsonNode layers = c.isArray() ? c : c.path("layers"); // a bare list before Keras 2.2.3
    if (!layers.isArray() || layers.isEmpty()) {
      throw new ModelException("the Keras Sequential model has no layers");
    }
    ArrayNode out = JSON.createArrayNode();
    String previous = null;
    String input;
    JsonNode first = layers.get(0);
    if ("InputLayer".equals(first.path("class_name").asText())) {
      input = first.path("config").path("name").asText();
    } else {
      input = first.path("config").path("name").asText("sequential") + "_input";
      ObjectNode in = out.addObject();
      in.put("class_name", "InputLayer").put("name", input);
      ObjectNode ic = in.putObject("config");
      ic.set("batch_input_shape", first.path("config").path("batch_input_shape"));
      ic.put("dtype", first.path("config").path("dtype").asText("float32")).put("sparse", false).put("name", input);
      in.putArray("inbound_nodes");
      previous = input;
    }
    for (JsonNode layer : layers) {
      ObjectNode l = ((ObjectNode) layer).deepCopy();
      String name = l.path("config").path("name").asText();
      l.put("name", name);
      ArrayNode inbound = l.putArray("inbound_nodes");
      if (previous != null) {
        inbound.addArray().addArray().add(previous).add(0).add(0).addObject();
      }
      out.add(l);
      previous = name;
    }
    ObjectNode functional = sequential.deepCopy();
    functional.put("class_name", "Functional");
    ObjectNode fc = functional.putObject("config");
    fc.put("name", c.isObject() ? c.path("name").asText("sequential") : "sequential");
    fc.set("layers", out);
    fc.putArray("input_layers").addArray().add(input).add(0).add(0);
    fc.putArray("output_layers").addArray().add(previous).add(0).add(0);
    return functional;
  }

  /** The input shape from the first input layer's {@code batch_input_shape}, {@code null} → -1; or null. */
  static long[] inputShape(JsonNode config) {
    JsonNode c = config.path("config");
    JsonNode layers = c.isArray() ? c : c.path("layers");
    if (!layers.isArray() || layers.isEmpty()) {
      return null;
    }
    JsonNode first = layers.get(0);
    JsonNode inputs = c.path("input_layers");
    if (inputs.isArray() && !inputs.isEmpty()) {
      String name = inputs.get(0).path(0).asText();
      for (JsonNode l : layers) {
        if (name.equals(l.path("name").asText()) || name.equals(l.path("config").path("name").asText())) {
          first = l;
          break;
        }
      }
    }
    JsonNode shape = first.path("config").path("batch_input_shape");
    if (!shape.isArray()) {
      shape = first.path("config").path("batch_shape");
    }
    if (!shape.isArray()) {
      return null;
    }
    long[] s = new long[shape.size()];
    for (int i = 0; i < s.length; i++) {
      s[i] = shape.get(i).isNumber() ? shape.get(i).asLong() : -1;
    }
    return s;
  }

  /** A scalar string attribute of the file root, fixed- or variable-length; null if absent. */
  private static String stringAttribute(H5File h5, String name) {
    if (!h5.attrExists(name)) {
      return null;
    }
    Attribute a = h5.openAttribute(name);
    DataType type = a.getDataType();
    DataSpace space = a.getSpace();
    try {
      if (type._getClass() != H5T_STRING) {
        throw new ModelException("HDF5 attribute '" + name + "' is not a string");
      }
      if (space.getSimpleExtentNpoints() != 1) {
        throw new ModelException("HDF5 attribute '" + name + "' holds " + space.getSimpleExtentNpoints()
            + " values, expected one string");
      }
      if (type.isVariableStr()) {
        PointerPointer<BytePointer> holder = new PointerPointer<>(1L);
        try {
          a.read(type, holder);
          BytePointer s = holder.get(BytePointer.class, 0);
          try {
            return s.getString(StandardCharsets.UTF_8);
          } finally {
            H5free_memory(s);
          }
        } finally {
          holder.deallocate();
        }
      }
      long size = type.getSize();
      if (size > Integer.MAX_VALUE - 16) {
        throw new ModelException("HDF5 attribute '" + name + "' is " + size + " bytes");
      }
      BytePointer buf = new BytePointer(size);
      try {
        a.read(type, buf);
        byte[] bytes = new byte[(int) size];
        buf.get(bytes);
        int len = bytes.length;
        while (len > 0 && bytes[len - 1] == 0) {
          len--;
        }
        return new String(bytes, 0, len, StandardCharsets.UTF_8);
      } finally {
        buf.deallocate();
      }
    } finally {
      space.deallocate();
      type.deallocate();
      a.deallocate();
    }
  }
}
