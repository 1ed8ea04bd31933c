package io.p9.core.image;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.io.Serializable;
import java.util.Arrays;
import java.util.Locale;

/**
 * Maps an 8-bit sample {@code x} (0..255) to {@code (x * scale - mean[c]) / std[c]}. {@code mean} and
 * {@code std} have three entries given in <b>RGB</b> order whatever the model's channel order is.
 *
 * @param name the preset's name, or {@code custom}
 * @param scale the factor a sample is multiplied by first, mapping 0..255 onto the range of the statistics
 * @param mean the per-channel mean subtracted, RGB order
 * @param std the per-channel standard deviation divided by, RGB order
 * @serial exclude
 */
public record Normalization(@JsonProperty(required = true) String name, @JsonProperty(required = true) float scale,
    @JsonProperty(required = true) float[] mean, @JsonProperty(required = true) float[] std) implements Serializable {

  /** ImageNet statistics on [0,1] (ONNX model zoo, torchvision). */
  public static final Normalization IMAGENET = new Normalization("imagenet", 1f / 255f,
      new float[] {0.485f, 0.456f, 0.406f}, new float[] {0.229f, 0.224f, 0.225f});
  /** Keras MobileNet/MobileNetV2/Inception: x / 127.5 - 1, i.e. [-1, 1]. */
  public static final Normalization MOBILENET = new Normalization("mobilenet", 1f / 127.5f,
      new float[] {1f, 1f, 1f}, new float[] {1f, 1f, 1f});
  /** Caffe / Keras VGG and ResNet50: mean subtraction on [0,255] (use with {@link ChannelOrder#BGR}). */
  public static final Normalization CAFFE = new Normalization("caffe", 1f,
      new float[] {123.68f, 116.779f, 103.939f}, new float[] {1f, 1f, 1f});
  /** x / 255: [0, 1]. */
  public static final Normalization UNIT = new Normalization("unit", 1f / 255f,
      new float[] {0f, 0f, 0f}, new float[] {1f, 1f, 1f});
  /** x unchanged: [0, 255]. */
  public static final Normalization RAW = new Normalization("raw", 1f,
      new float[] {0f, 0f, 0f}, new float[] {1f, 1f, 1f});

  /**
   * Checks the statistics and copies the arrays.
   *
   * @param name the preset's name, or {@code custom}
   * @param scale the factor a sample is multiplied by first (&gt; 0, finite)
   * @param mean 3 values, RGB order
   * @param std 3 values, RGB order, each &gt; 0 and finite
   * @throws IllegalArgumentException if {@code mean} or {@code std} is null or does not hold 3 values, or
   *     {@code scale} or a value of {@code std} is not a positive finite number
   */
  public Normalization {
    if (mean == null || mean.length != 3 || std == null || std.length != 3) {
      throw new IllegalArgumentException("mean and std need 3 values (RGB order)");
    }
    for (float s : std) {
      if (!(s > 0f) || Float.isInfinite(s)) {
        throw new IllegalArgumentException("std values must be > 0, were " + Arrays.toString(std));
      }
    }
    if (!(scale > 0f) || Float.isInfinite(scale)) {
      throw new IllegalArgumentException("scale must be > 0, was " + scale);
    }
    mean = mean.clone();
    std = std.clone();
  }

  /**
   * {@return a normalization named {@code custom} with explicit statistics}
   *
   * @param scale maps 0..255 onto the range the statistics are given on (&gt; 0, finite)
   * @param mean 3 values, RGB order
   * @param std 3 values, RGB order, each &gt; 0 and finite
   * @throws IllegalArgumentException as the constructor does
   */
  public static Normalization custom(float scale, float[] mean, float[] std) {
    return new Normalization("custom", scale, mean, std);
  }

  /**
   * {@return a preset by name: imagenet (alias torch), mobilenet (alias tf, keras_mobilenet, inception), caffe,
   * unit, raw}
   *
   * @param name the preset's name or alias, in any case
   * @throws IllegalArgumentException if no preset has that name
   */
  public static Normalization preset(String name) {
    return switch (name.toLowerCase(Locale.ROOT)) {
      case "imagenet", "torch" -> IMAGENET;
      case "mobilenet", "tf", "keras_mobilenet", "inception" -> MOBILENET;
      case "caffe" -> CAFFE;
      case "unit" -> UNIT;
      case "raw" -> RAW;
      default -> throw new IllegalArgumentException("unknown normalization preset '" + name
          + "'; known: imagenet, mobilenet, caffe, unit, raw");
    };
  }

  /**
   * {@return why this normalization cannot feed a uint8 model input, or null if it can} Such an input takes the
   * samples themselves, so every 8-bit sample 0..255 must come out as an integer in 0..255, computed as the
   * {@link Preprocessor} computes it ({@code x * (scale / std) + (-mean / std)} in float); of the affine maps
   * only the identity does that, e.g. {@link #RAW}. The reason names the first sample that does not, e.g.
   * {@code imagenet maps red 0 to -2.117904}.
   */
  public String uint8Mismatch() {
    String[] colours = {"red", "green", "blue"};
    for (int c = 0; c < 3; c++) {
      float a = (float) ((double) scale / std[c]);
      float b = (float) (-(double) mean[c] / std[c]);
      for (int x = 0; x < 256; x++) {
        float v = x * a + b;
        if (!(v >= 0f && v <= 255f) || v != (float) Math.rint(v)) {
          return name + " maps " + colours[c] + " " + x + " to " + v + ", not an integer in 0..255";
        }
      }
    }
    return null;
  }

  /** {@return the per-channel mean, RGB order (a copy)} */
  @Override
  public float[] mean() {
    return mean.clone();
  }

  /** {@return the per-channel standard deviation, RGB order (a copy)} */
  @Override
  public float[] std() {
    return std.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Normalization n && n.name.equals(name) && n.scale == scale
        && Arrays.equals(n.mean, mean) && Arrays.equals(n.std, std);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * name.hashCode() + Float.hashCode(scale)) + Arrays.hashCode(mean) * 7
        + Arrays.hashCode(std);
  }

  @Override
  public String toString() {
    return name + "(scale=" + scale + ", mean=" + Arrays.toString(mean) + ", std=" + Arrays.toString(std)
        + ")";
  }
}
