package io.p9.core.model.dl4j;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.p9.core.model.ModelBytes;
import io.p9.core.model.ModelException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;

/**
 * Reads a model file into one {@link ComputationGraph}, whatever it was: a DL4J {@code ComputationGraph} or
 * {@code MultiLayerNetwork} zip ({@code ModelSerializer}'s format), or a Keras Sequential or Functional
 * {@code .h5} ({@link KerasH5}). A {@code MultiLayerNetwork} becomes a single-chain graph whose vertices keep
 * the layer names, so the feature layer is named the same way for both and one inference path serves all.
 */
final class Dl4jLoader {
  /** Name of the graph input of a converted {@code MultiLayerNetwork}. */
  static final String MLN_INPUT = "input";

  private static final ObjectMapper JSON = new ObjectMapper();

  private Dl4jLoader() {}

  /**
   * A loaded network.
   *
   * @param graph the network (parameters in the network's own data type)
   * @param kind what the file was, for messages ({@code DL4J ComputationGraph zip}, {@code Keras Sequential .h5}...)
   * @param inputShape the input shape if the file records it ({@code -1} for unknown dimensions), else null
   */
  record Loaded(ComputationGraph graph, String kind, long[] inputShape) {}

  static Loaded load(ModelBytes model) {
    if (Dl4jBackend.isHdf5(model.bytes())) {
      return KerasH5.load(model);
    }
    if (Dl4jBackend.isZip(model.bytes())) {
      return loadZip(model);
    }
    throw new ModelException(model + " is neither a DL4J model zip (PK) nor a Keras HDF5 file (\\x89HDF): its"
        + " first bytes are " + hexHead(model.bytes()));
  }

  private static Loaded loadZip(ModelBytes model) {
    String config = null;
    List<String> entries = new ArrayList<>();
    try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(model.bytes()))) {
      for (ZipEntry e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
        entries.add(e.getName());
        if (e.getName().equals(ModelSerializer.CONFIGURATION_JSON)) {
          config = new String(zip.readAllBytes(), StandardCharsets.UTF_8);
        }
      }
    } catch (IOException e) {
      throw new ModelException(model + " is not a readable zip: " + e.getMessage(), e);
    }
    if (config == null) {
      if (entries.contains("config.json") && entries.contains("model.weights.h5")) {
        throw new ModelException(model + " is a Keras 3 '.keras' archive, which DL4J's Keras import does not read;"
            + " save the model as HDF5 with Keras 2 (model.save('model.h5') in tf.keras of TensorFlow 2.15 or"
            + " earlier, or tf_keras: DL4J reads no file of Keras 3, .h5 included) and pass the .h5 file, or"
            + " convert it to ONNX and use the onnx backend");
      }
      throw new ModelException(model + " is a zip but not a DL4J model (no " + ModelSerializer.CONFIGURATION_JSON
          + "); entries: " + entries.subList(0, Math.min(8, entries.size())));
    }
    JsonNode conf;
    try {
      conf = JSON.readTree(config);
    } catch (IOException e) {
      throw new ModelException(model + " has an unreadable " + ModelSerializer.CONFIGURATION_JSON + ": "
          + e.getMessage(), e);
    }
    try {
      if (conf.has("vertices")) {
        ComputationGraph g = ModelSerializer.restoreComputationGraph(new ByteArrayInputStream(model.bytes()),
            false);
        return new Loaded(g, "DL4J ComputationGraph zip", null);
      }
      if (conf.has("confs")) {
        MultiLayerNetwork n = ModelSerializer.restoreMultiLayerNetwork(new ByteArrayInputStream(model.bytes()),
            false);
        return new Loaded(toGraph(n), "DL4J MultiLayerNetwork zip", null);
      }
    } catch (IOException | RuntimeException e) {
      throw new ModelException("DL4J could not restore " + model + ": " + e, e);
    }
    throw new ModelException(model + " has a " + ModelSerializer.CONFIGURATION_JSON + " that is neither a"
        + " ComputationGraph (vertices) nor a MultiLayerNetwork (confs) configuration");
  }

  /**
   * The {@code MultiLayerNetwork} as a chain {@code input → layer 0 → ... → layer n-1} whose vertices are
   * named after the layers (or {@code layer<i>} when a name is missing or repeated). Parameters are taken
   * over, not copied: a network's parameters are laid out in layer order, the same as the chain's topological
   * order. Unlike DL4J's own {@code toComputationGraph()} this keeps layer names and creates no updater state.
   */
  static ComputationGraph toGraph(MultiLayerNetwork net) {
    MultiLayerConfiguration mc = net.getLayerWiseConfigurations();
    ComputationGraphConfiguration.GraphBuilder b = new NeuralNetConfiguration.Builder()
        .dataType(mc.getDataType()).graphBuilder().addInputs(MLN_INPUT);
    Set<String> used = new HashSet<>();
    used.add(MLN_INPUT);
    String previous = MLN_INPUT;
    for (int i = 0; i < mc.getConfs().size(); i++) {
      Layer layer = mc.getConf(i).getLayer().clone();
      String name = layer.getLayerName();
      if (name == null || name.isEmpty() || !used.add(name)) {
        name = "layer" + i;
        used.add(name);
      }
      b.addLayer(name, layer, mc.getInputPreProcess(i), previous);
      previous = name;
    }
    b.setOutputs(previous);
    ComputationGraphConfiguration gc = b.build();
    gc.setInferenceWorkspaceMode(mc.getInferenceWorkspaceMode());
    ComputationGraph g = new ComputationGraph(gc);
    g.init(net.params(), false);
    return g;
  }

  private static String hexHead(byte[] b) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < Math.min(8, b.length); i++) {
      s.append(String.format("%02x", b[i] & 0xff));
    }
    return s.length() == 0 ? "(empty file)" : s.toString();
  }
}
