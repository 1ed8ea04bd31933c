package io.p9.core.model;

import io.p9.core.image.PreprocessSpec;
import io.p9.core.tensor.ElementType;
import io.p9.core.tensor.TensorLayout;
import java.io.Serializable;
import java.util.Arrays;
import java.util.Objects;

/**
 * What a loaded model takes and gives.
 *
 * @param backend backend name ({@code onnx}, {@code dl4j})
 * @param inputName the image input
 * @param inputShape its shape, -1 for dynamic dimensions (batch); an ONNX model whose file leaves the height
 *     and width dynamic has here the size it was opened at ({@link ModelOptions#inputHeight()}, else 224)
 * @param layout NCHW or NHWC, read from where the 3-channel axis is
 * @param featureTensor the tensor or layer whose value is returned (after any edit: its source name)
 * @param featureDim the length of one flattened feature vector
 * @param quantized whether the feature tensor is quantized and p9 dequantizes it
 * @param inputType the element type of the image input; the backend converts the packed floats to it
 * @serial exclude
 */
public record ModelInfo(String backend, String inputName, long[] inputShape, TensorLayout layout,
    String featureTensor, int featureDim, boolean quantized, ElementType inputType) implements Serializable {

  /**
   * Checks that {@code inputType} is given.
   *
   * @param backend backend name ({@code onnx}, {@code dl4j})
   * @param inputName the image input
   * @param inputShape its shape, -1 for dynamic dimensions
   * @param layout NCHW or NHWC
   * @param featureTensor the tensor or layer whose value is returned
   * @param featureDim the length of one flattened feature vector
   * @param quantized whether the feature tensor is quantized and p9 dequantizes it
   * @param inputType the element type of the image input
   */
  public ModelInfo {
    Objects.requireNonNull(inputType, "inputType");
  }

  /**
   * A model with a float32 image input.
   *
   * @param backend backend name ({@code onnx}, {@code dl4j})
   * @param inputName the image input
   * @param inputShape its shape, -1 for dynamic dimensions
   * @param layout NCHW or NHWC
   * @param featureTensor the tensor or layer whose value is returned
   * @param featureDim the length of one flattened feature vector
   * @param quantized whether the feature tensor is quantized and p9 dequantizes it
   */
  public ModelInfo(String backend, String inputName, long[] inputShape, TensorLayout layout,
      String featureTensor, int featureDim, boolean quantized) {
    this(backend, inputName, inputShape, layout, featureTensor, featureDim, quantized, ElementType.FLOAT32);
  }

  /**
   * {@return the number of images the model takes per call if its file fixes the batch dimension (e.g. 1 for a
   * PyTorch export without {@code dynamic_axes}), 0 if the batch is dynamic} That is {@code inputShape[0]} of an
   * ONNX model (ONNX Runtime reports a dynamic dimension as -1). A DL4J network takes any batch, whatever a Keras
   * file records. Backends run any number of images either way: the ONNX backend runs a fixed-batch model in
   * chunks of this many, padding the last one.
   */
  public int fixedBatch() {
    return "onnx".equals(backend) && inputShape[0] > 0 ? (int) inputShape[0] : 0;
  }

  /** {@return the input height, read from the shape according to the layout (-1 if dynamic)} */
  public long inputHeight() {
    return layout == TensorLayout.NCHW ? inputShape[2] : inputShape[1];
  }

  /** {@return the input width, read from the shape according to the layout (-1 if dynamic)} */
  public long inputWidth() {
    return layout == TensorLayout.NCHW ? inputShape[3] : inputShape[2];
  }

  /** {@return the input channels, read from the shape according to the layout} */
  public long inputChannels() {
    return layout == TensorLayout.NCHW ? inputShape[1] : inputShape[3];
  }

  /**
   * Why images preprocessed with {@code spec} cannot be this model's input, or null if they can: another
   * layout, another channel count, another size than a fixed input size (a dynamic one takes any), or, for
   * a uint8 input, a normalization that does not keep the samples 0..255 as they are
   * ({@link io.p9.core.image.Normalization#uint8Mismatch}). Callers prefix their own name and throw, e.g.
   * {@code IllegalArgumentException}.
   *
   * @param spec the preprocessing
   * @return the reason, or null
   */
  public String inputMismatch(PreprocessSpec spec) {
    String input = "the model input " + Arrays.toString(inputShape) + " (" + layout + ")";
    if (spec.layout() != layout) {
      return "preprocessing layout " + spec.layout() + " does not match " + input;
    }
    if (inputChannels() > 0 && inputChannels() != spec.channels()) {
      return "preprocessing gives " + spec.channels() + " channels but " + input + " takes "
          + inputChannels();
    }
    boolean otherHeight = inputHeight() > 0 && inputHeight() != spec.height();
    boolean otherWidth = inputWidth() > 0 && inputWidth() != spec.width();
    if (otherHeight || otherWidth) {
      return "preprocessing size " + spec.height() + "x" + spec.width() + " does not match " + input;
    }
    if (inputType == ElementType.UINT8) {
      String normalization = spec.normalization().uint8Mismatch();
      if (normalization != null) {
        return "preprocessing normalization " + normalization + ", but " + input + " is uint8 and takes the"
            + " pixels 0..255 as they are (use raw)";
      }
    }
    return null;
  }

  @Override
  public String toString() {
    return backend + " model: input '" + inputName + "' "
        + (inputType == ElementType.FLOAT32 ? "" : inputType + " ") + Arrays.toString(inputShape) + " " + layout
        + (fixedBatch() > 0 ? ", fixed batch " + fixedBatch() : "") + ", features '" + featureTensor + "' ("
        + featureDim + (quantized ? ", dequantized)" : ")");
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ModelInfo m && m.backend.equals(backend) && m.inputName.equals(inputName)
        && Arrays.equals(m.inputShape, inputShape) && m.layout == layout
        && m.featureTensor.equals(featureTensor) && m.featureDim == featureDim && m.quantized == quantized
        && m.inputType == inputType;
  }

  @Override
  public int hashCode() {
    return inputName.hashCode() * 31 + Arrays.hashCode(inputShape) + featureTensor.hashCode() * 17
        + featureDim + inputType.hashCode() * 7;
  }
}
