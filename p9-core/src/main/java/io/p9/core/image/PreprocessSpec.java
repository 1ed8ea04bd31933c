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
 * @serial exclude
 */
public record PreprocessSpec(@JsonProperty(required = true) int height, @JsonProperty(required = true) int width,
    @JsonProperty(required = true) ResizeMode resizeMode, @JsonProperty(required = true) float cropFraction,
    @JsonProperty(required = true) Interpolation interpolation,
    @JsonProperty(required = true) ChannelOrder channelOrder, @JsonProperty(required = true) TensorLayout layout,
    @JsonProperty(required = true) Normalization normalization) implements Serializable {

  /**
   * Checks the size and crop fraction, and that nothing is null.
   *
   * @param height model input height (&gt; 0)
   * @param width model input width (&gt; 0)
   * @param resizeMode how the image becomes the input size
   * @param cropFraction for {@code CENTER_CROP}: the fraction of the shorter side the target covers, in (0, 1]
   * @param interpolation resampling filter
   * @param channelOrder channel order the model expects
   * @param layout NCHW or NHWC
   * @param normalization value mapping
   * @throws IllegalArgumentException if a size is not positive or {@code cropFraction} is outside (0, 1]
   * @throws NullPointerException if an enum or the normalization is null
   */
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

  /**
   * {@return the ONNX model zoo / torchvision convention at the given size (224 for most models): RGB NCHW,
   * ImageNet mean/std, stretched, bilinear}
   *
   * @param size the input height and width (&gt; 0)
   * @throws IllegalArgumentException if {@code size} is not positive
   */
  public static PreprocessSpec imagenet(int size) {
    return new PreprocessSpec(size, size, ResizeMode.STRETCH, 1f, Interpolation.BILINEAR,
        ChannelOrder.RGB, TensorLayout.NCHW, Normalization.IMAGENET);
  }

  /**
   * {@return a named preset at the given size: {@code imagenet} (RGB, NCHW), {@code mobilenet} (Keras [-1,1],
   * RGB, NHWC), {@code caffe} (BGR mean subtraction, NHWC), {@code unit}, {@code raw} (RGB NCHW)} All stretch the
   * image with the bilinear filter.
   *
   * @param name a {@link Normalization#preset} name or alias
   * @param size the input height and width (&gt; 0)
   * @throws IllegalArgumentException if no preset has that name or {@code size} is not positive
   */
  public static PreprocessSpec preset(String name, int size) {
    Normalization n = Normalization.preset(name);
    ChannelOrder order = n == Normalization.CAFFE ? ChannelOrder.BGR : ChannelOrder.RGB;
    TensorLayout layout = (n == Normalization.MOBILENET || n == Normalization.CAFFE)
        ? TensorLayout.NHWC : TensorLayout.NCHW;
    return new PreprocessSpec(size, size, ResizeMode.STRETCH, 1f, Interpolation.BILINEAR, order, layout, n);
  }

  /** {@return the number of channels of the model input: always 3} */
  public int channels() {
    return 3;
  }

  /** {@return the floats one image occupies in a batch: {@code 3 * height * width}} */
  public int floatsPerImage() {
    return 3 * height * width;
  }

  /**
   * {@return this spec at another input size}
   *
   * @param h model input height (&gt; 0)
   * @param w model input width (&gt; 0)
   * @throws IllegalArgumentException if a size is not positive
   */
  public PreprocessSpec withSize(int h, int w) {
    return new PreprocessSpec(h, w, resizeMode, cropFraction, interpolation, channelOrder, layout,
        normalization);
  }

  /**
   * {@return this spec with another tensor layout}
   *
   * @param l NCHW or NHWC
   */
  public PreprocessSpec withLayout(TensorLayout l) {
    return new PreprocessSpec(height, width, resizeMode, cropFraction, interpolation, channelOrder, l,
        normalization);
  }

  /**
   * {@return this spec with another channel order}
   *
   * @param o the channel order the model expects
   */
  public PreprocessSpec withChannelOrder(ChannelOrder o) {
    return new PreprocessSpec(height, width, resizeMode, cropFraction, interpolation, o, layout,
        normalization);
  }

  /**
   * {@return this spec with another value mapping}
   *
   * @param n the value mapping
   */
  public PreprocessSpec withNormalization(Normalization n) {
    return new PreprocessSpec(height, width, resizeMode, cropFraction, interpolation, channelOrder, layout,
        n);
  }

  /**
   * {@return this spec with another resampling filter}
   *
   * @param i the resampling filter
   */
  public PreprocessSpec withInterpolation(Interpolation i) {
    return new PreprocessSpec(height, width, resizeMode, cropFraction, i, channelOrder, layout,
        normalization);
  }

  /**
   * {@return this spec with another resize mode and crop fraction}
   *
   * @param mode how the image becomes the input size
   * @param fraction for {@code CENTER_CROP}: the fraction of the shorter side the target covers, in (0, 1]
   * @throws IllegalArgumentException if {@code fraction} is outside (0, 1]
   */
  public PreprocessSpec withResize(ResizeMode mode, float fraction) {
    return new PreprocessSpec(height, width, mode, fraction, interpolation, channelOrder, layout,
        normalization);
  }
}
