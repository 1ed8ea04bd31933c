package io.p9.core.image;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.p9.core.tensor.TensorLayout;
import java.io.Serializable;
import java.util.Objects;

/**
 * Everything that turns decoded pixels into one model input: size, resize mode, filter, channel order,
 * layout and normalization. It is recorded with a fitted stage and saved with the pipeline, and it is
 * (de)serialized to JSON by {@link io.p9.core.model.ModelSpec}.
 *
 * @param height model input height
 * @param width model input width
 * @param resizeMode {@link ResizeMode#STRETCH} (default) or {@link ResizeMode#CENTER_CROP}
 * @param cropFraction for {@code CENTER_CROP}: the target covers this fraction of the shorter side (0, 1]
 * @param interpolation resampling filter (default bilinear)
 * @param channelOrder channel order the model expects
 * @param layout NCHW or NHWC
 * @param normalization value mapping
 */
public record PreprocessSpec(@JsonProperty(required = true) int height, @JsonProperty(required = true) int width,
    @JsonProperty(required = true) ResizeMode resizeMode, @JsonProperty(required = true) float cropFraction,
    @JsonProperty(required = true) Interpolation interpolation,
    @JsonProperty(required = true) ChannelOrder channelOrder, @JsonProperty(required = true) TensorLayout layout,
    @JsonProperty(required = true) Normalization normalization) implements Serializable {

  public PreprocessSpec {
    if (height <= 0 || width <= 0) {
      throw new IllegalArgumentException("input size must be positive, was " + height + "x" + width);
    }
    if (!(cropFraction > 0f && cropFraction <= 1f)) {
      throw new IllegalArgumentException("cropFraction must be in (0, 1], was " + cropFraction);
    }
    Objects.requireNonNull(resizeMode, "resizeMode");
    Objects.requireNonNull(interpolation, "interpolation");
    Objects.requireNonNull(channelOrder, "channelOrder");
    Objects.requireNonNull(layout, "layout");
    Objects.requireNonNull(normalization, "normalization");
  }

  /** The ONNX model zoo / torchvision convention: 224x224 RGB NCHW, ImageNet mean/std, stretched. */
  public static PreprocessSpec imagenet(int size) {
    return new PreprocessSpec(size, size, ResizeMode.STRETCH, 1f, Interpolation.BILINEAR,
        ChannelOrder.RGB, TensorLayout.NCHW, Normalization.IMAGENET);
  }

  /**
   * A named preset at the given size: {@code imagenet} (RGB, NCHW), {@code mobilenet} (Keras [-1,1], RGB,
   * NHWC), {@code caffe} (BGR mean subtraction, NHWC), {@code unit}, {@code raw} (RGB NCHW).
   */
  public static PreprocessSpec preset(String name, int size) {
    Normalization n = Normalization.preset(name);
    ChannelOrder order = n == Normalization.CAFFE ? ChannelOrder.BGR : ChannelOrder.RGB;
    TensorLayout layout = (n == Normalization.MOBILENET || n == Normalization.CAFFE)
        ? TensorLayout.NHWC : TensorLayout.NCHW;
    return new PreprocessSpec(size, size, ResizeMode.STRETCH, 1f, Interpolation.BILINEAR, order, layout, n);
  }

  public int channels() {
    return 3;
  }

  /** Floats one image occupies in a batch: {@code 3 * height * width}. */
  public int floatsPerImage() {
    return 3 * height * width;
  }

  public PreprocessSpec withSize(int h, int w) {
    return new PreprocessSpec(h, w, resizeMode, cropFraction, interpolation, channelOrder, layout,
        normalization);
  }

  public PreprocessSpec withLayout(TensorLayout l) {
    return new PreprocessSpec(height, width, resizeMode, cropFraction, interpolation, channelOrder, l,
        normalization);
  }

  public PreprocessSpec withChannelOrder(ChannelOrder o) {
    return new PreprocessSpec(height, width, resizeMode, cropFraction, interpolation, o, layout,
        normalization);
  }

  public PreprocessSpec withNormalization(Normalization n) {
    return new PreprocessSpec(height, width, resizeMode, cropFraction, interpolation, channelOrder, layout,
        n);
  }

  public PreprocessSpec withInterpolation(Interpolation i) {
    return new PreprocessSpec(height, width, resizeMode, cropFraction, i, channelOrder, layout,
        normalization);
  }

  public PreprocessSpec withResize(ResizeMode mode, float fraction) {
    return new PreprocessSpec(height, width, mode, fraction, interpolation, channelOrder, layout,
        normalization);
  }
}
