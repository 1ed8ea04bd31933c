package io.p9.core.model;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.p9.core.image.PreprocessSpec;
import java.io.Serializable;
import java.util.Objects;

/**
 * What must travel with a model file so that it is used the way it was trained: backend, feature tensor and
 * preprocessing. Stored as a JSON sidecar {@code <model file>.p9.json} next to the model, and saved with
 * every fitted stage that uses the model.
 *
 * @param version format version, {@link #VERSION}
 * @param backend {@code auto}, {@code onnx} or {@code dl4j}
 * @param featureTensor tensor/layer name or {@code auto}
 * @param preprocess the input preprocessing
 * @param description free text (where the model comes from), may be null
 * @serial exclude
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ModelSpec(int version, @JsonProperty(required = true) String backend,
    @JsonProperty(required = true) String featureTensor, @JsonProperty(required = true) PreprocessSpec preprocess,
    String description) implements Serializable {

  /** The format version this p9 writes and the newest it reads. */
  public static final int VERSION = 1;
  /** Suffix of the sidecar file next to a model. */
  public static final String SIDECAR_SUFFIX = ".p9.json";

  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(SerializationFeature.INDENT_OUTPUT)
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /**
   * Checks that the backend, feature tensor and preprocessing are given.
   *
   * @param version format version, {@link #VERSION}
   * @param backend {@code auto}, {@code onnx} or {@code dl4j}
   * @param featureTensor tensor/layer name or {@code auto}
   * @param preprocess the input preprocessing
   * @param description free text (where the model comes from), may be null
   */
  public ModelSpec {
    Objects.requireNonNull(backend, "backend");
    Objects.requireNonNull(featureTensor, "featureTensor");
    Objects.requireNonNull(preprocess, "preprocess");
  }

  /**
   * {@return a spec of the current {@link #VERSION} without description}
   *
   * @param backend {@code auto}, {@code onnx} or {@code dl4j}
   * @param featureTensor tensor/layer name or {@code auto}
   * @param preprocess the input preprocessing
   */
  public static ModelSpec of(String backend, String featureTensor, PreprocessSpec preprocess) {
    return new ModelSpec(VERSION, backend, featureTensor, preprocess, null);
  }

  /** {@return this spec as the JSON of a sidecar file (indented; no description key when it has none)} */
  public String toJson() {
    try {
      return JSON.writeValueAsString(this);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write model spec " + this, e);
    }
  }

  /**
   * Parses a spec; refuses one without a format version, or with a newer one than this reader knows. A value
   * that cannot be read is named by its key, e.g. {@code invalid p9 model spec JSON at
   * 'preprocess.resizeMode': ...}.
   *
   * @param json the JSON of a sidecar
   * @return the spec
   * @throws ModelException if it cannot be read, or its version is missing or unknown
   */
  public static ModelSpec fromJson(String json) {
    ModelSpec s = parse(json, ModelSpec.class, "p9 model spec");
    if (s.version() == 0) {
      // an int field absent from the JSON reads as 0
      throw new ModelException("p9 model spec has no \"version\" (this p9 reads version " + VERSION + ": add"
          + " \"version\": " + VERSION + ")");
    }
    if (s.version() > VERSION || s.version() < 1) {
      throw new ModelException("p9 model spec version " + s.version() + " is not supported (this p9 reads "
          + "version " + VERSION + ")");
    }
    return s;
  }

  /**
   * {@return the JSON of a preprocessing spec alone (used as a stage param)}
   *
   * @param p the preprocessing
   */
  public static String preprocessToJson(PreprocessSpec p) {
    try {
      return JSON.writeValueAsString(p);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write " + p, e);
    }
  }

  /**
   * Parses a preprocessing spec alone; a value that cannot be read is named by its key, as in {@link #fromJson}.
   *
   * @param json the JSON of a preprocessing spec
   * @return the preprocessing
   * @throws ModelException if it cannot be read
   */
  public static PreprocessSpec preprocessFromJson(String json) {
    return parse(json, PreprocessSpec.class, "preprocessing");
  }

  /** {@code json} as a {@code type}, not null; a failure names {@code what} and the key where it is. */
  private static <T> T parse(String json, Class<T> type, String what) {
    T value;
    try {
      value = JSON.readValue(json, type);
    } catch (JsonProcessingException e) {
      throw new ModelException("invalid " + what + " JSON" + at(e) + ": " + e.getOriginalMessage(), e);
    }
    if (value == null) {
      throw new ModelException("invalid " + what + " JSON: null, not an object");
    }
    return value;
  }

  /** {@code " at 'preprocess.normalization.mean[0]'"}: where in the JSON Jackson met {@code e}, or "". */
  private static String at(JsonProcessingException e) {
    if (!(e instanceof JsonMappingException m)) {
      return "";
    }
    StringBuilder key = new StringBuilder();
    for (JsonMappingException.Reference r : m.getPath()) {
      if (r.getFieldName() != null) {
        key.append(key.length() > 0 ? "." : "").append(r.getFieldName());
      } else if (r.getIndex() >= 0) {
        key.append('[').append(r.getIndex()).append(']');
      }
    }
    return key.length() == 0 ? "" : " at '" + key + "'";
  }
}
