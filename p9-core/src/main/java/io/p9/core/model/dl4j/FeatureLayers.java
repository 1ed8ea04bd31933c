package io.p9.core.model.dl4j;

import io.p9.core.model.ModelException;
import io.p9.core.model.ModelOptions;
import io.p9.core.tensor.TensorLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.graph.PreprocessorVertex;
import org.deeplearning4j.nn.conf.graph.ReshapeVertex;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.CnnLossLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.layers.ZeroPaddingLayer;
import org.deeplearning4j.util.ConvolutionUtils;

/**
 * Reads a DL4J graph configuration: which vertex is the feature layer ({@code auto} or a name), and the
 * image input's channels and layout when the file does not record the input shape.
 *
 * <p>{@code auto} mirrors the ONNX backend: walk back from the (first) network output through softmax /
 * activation / loss / dropout / reshape vertices to the classifier (a dense or output layer, or a plain
 * convolution used as one), then from the classifier's input back through dropout and reshape/flatten
 * vertices. For Keras MobileNetV2 that is {@code global_average_pooling2d}, the 1280-d pooled vector
 * feeding {@code predictions}.
 */
final class FeatureLayers {
  private FeatureLayers() {}

  /** The vertex whose activations are the features: {@code requested}, or the classifier's input for auto. */
  static String resolve(ComputationGraphConfiguration conf, String requested) {
    if (!ModelOptions.AUTO.equals(requested)) {
      if (!conf.getVertices().containsKey(requested) && !conf.getNetworkInputs().contains(requested)) {
        throw new ModelException("the DL4J model has no layer '" + requested + "'; its layers are "
            + layerList(conf, 40));
      }
      return requested;
    }
    if (conf.getNetworkOutputs().isEmpty()) {
      throw new ModelException("the DL4J model has no outputs");
    }
    String v = conf.getNetworkOutputs().get(0);
    List<String> walked = new ArrayList<>();
    String classifier = null;
    for (int guard = 0; guard < 64 && classifier == null; guard++) {
      GraphVertex gv = conf.getVertices().get(v);
      if (gv == null) {
        break; // a network input
      }
      walked.add(v + ":" + describe(gv));
      if (isClassifier(gv)) {
        classifier = v;
      } else if (isTailPass(gv)) {
        v = firstInput(conf, v);
      } else {
        break;
      }
    }
    if (classifier == null) {
      throw new ModelException("featureTensor=auto found no classifier (dense, output or 1x1 convolution layer)"
          + " at the end of the DL4J model (walked back from '" + conf.getNetworkOutputs().get(0) + "' through "
          + walked + "); name the feature layer explicitly. Last layers: " + lastLayers(conf, 8));
    }
    String t = firstInput(conf, classifier);
    for (int guard = 0; guard < 64; guard++) {
      GraphVertex gv = conf.getVertices().get(t);
      if (gv == null || !isFeaturePass(gv)) {
        break;
      }
      t = firstInput(conf, t);
    }
    return t;
  }

  private static boolean isClassifier(GraphVertex gv) {
    Layer l = layerOf(gv);
    return l instanceof DenseLayer || l instanceof BaseOutputLayer
        || (l != null && l.getClass() == ConvolutionLayer.class);
  }

  private static boolean isTailPass(GraphVertex gv) {
    Layer l = layerOf(gv);
    return l instanceof ActivationLayer || l instanceof LossLayer || l instanceof CnnLossLayer
        || l instanceof DropoutLayer || gv instanceof PreprocessorVertex || gv instanceof ReshapeVertex;
  }

  private static boolean isFeaturePass(GraphVertex gv) {
    return layerOf(gv) instanceof DropoutLayer || gv instanceof PreprocessorVertex || gv instanceof ReshapeVertex;
  }

  private static Layer layerOf(GraphVertex gv) {
    return gv instanceof LayerVertex lv ? lv.getLayerConf().getLayer() : null;
  }

  private static String firstInput(ComputationGraphConfiguration conf, String vertex) {
    List<String> in = conf.getVertexInputs().get(vertex);
    if (in == null || in.isEmpty()) {
      throw new ModelException("DL4J vertex '" + vertex + "' has no input");
    }
    return in.get(0);
  }

  /**
   * Channels and layout of the network's image input, from the first layers that consume it: the layout
   * of the first layer that has one (convolution, pooling, padding, batch normalization), the channels from
   * the first convolution's {@code nIn}. Returns {@code [-1, C, -1, -1]} (NCHW) or {@code [-1, -1, -1, C]}
   * (NHWC): DL4J files do not record the image height and width.
   */
  static long[] inferInputShape(ComputationGraphConfiguration conf) {
    String v = conf.getNetworkInputs().get(0);
    CNN2DFormat format = null;
    long channels = -1;
    for (int guard = 0; guard < 64 && channels < 0; guard++) {
      String next = consumerOf(conf, v);
      if (next == null) {
        break;
      }
      Layer l = layerOf(conf.getVertices().get(next));
      if (l != null && format == null) {
        format = formatOf(l);
      }
      if (l instanceof ConvolutionLayer c) {
        channels = c.getNIn();
      } else if (!(l instanceof SubsamplingLayer || l instanceof ZeroPaddingLayer || l instanceof BatchNormalization
          || l instanceof ActivationLayer || l instanceof DropoutLayer)) {
        break;
      }
      v = next;
    }
    if (channels < 0 || format == null) {
      throw new ModelException("cannot tell the image input of the DL4J model: its input '"
          + conf.getNetworkInputs().get(0) + "' does not feed a convolution (first layers: " + lastLayers(conf, -8)
          + "); p9 needs a CNN with one image input");
    }
    return format == CNN2DFormat.NHWC ? new long[] {-1, -1, -1, channels} : new long[] {-1, channels, -1, -1};
  }

  static TensorLayout layoutOf(long[] shape) {
    if (shape.length == 4 && shape[3] == 3) {
      return TensorLayout.NHWC;
    }
    if (shape.length == 4 && shape[1] == 3) {
      return TensorLayout.NCHW;
    }
    return null;
  }

  private static CNN2DFormat formatOf(Layer l) {
    if (l instanceof BatchNormalization bn) {
      return bn.getCnn2DFormat();
    }
    try {
      return ConvolutionUtils.getFormatForLayer(l);
    } catch (RuntimeException e) {
      return null;
    }
  }

  private static String consumerOf(ComputationGraphConfiguration conf, String vertex) {
    for (Map.Entry<String, List<String>> e : conf.getVertexInputs().entrySet()) {
      if (e.getValue().contains(vertex)) {
        return e.getKey();
      }
    }
    return null;
  }

  private static String describe(GraphVertex gv) {
    Layer l = layerOf(gv);
    return l != null ? l.getClass().getSimpleName() : gv.getClass().getSimpleName();
  }

  /** {@code name(Type)} for the vertices in topological order (input first); the last {@code n}, or first -n. */
  static List<String> lastLayers(ComputationGraphConfiguration conf, int n) {
    List<String> all = layerList(conf, Integer.MAX_VALUE);
    int count = Math.abs(n);
    return n >= 0 ? all.subList(Math.max(0, all.size() - count), all.size())
        : all.subList(0, Math.min(count, all.size()));
  }

  private static List<String> layerList(ComputationGraphConfiguration conf, int max) {
    List<String> out = new ArrayList<>();
    List<String> names = conf.getTopologicalOrderStr();
    if (names == null) { // set once a network is initialised from this configuration
      names = new ArrayList<>(conf.getNetworkInputs());
      names.addAll(conf.getVertices().keySet());
    }
    for (int i = 0; i < names.size() && out.size() < max; i++) {
      String name = names.get(i);
      GraphVertex gv = conf.getVertices().get(name);
      out.add(gv == null ? name + "(input)" : name + "(" + describe(gv) + ")");
    }
    return out;
  }
}
