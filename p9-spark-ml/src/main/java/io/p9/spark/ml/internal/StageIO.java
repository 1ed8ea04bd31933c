package io.p9.spark.ml.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamPair;
import org.apache.spark.ml.param.Params;
import scala.collection.JavaConverters;

/**
 * Stage metadata in Spark ML's own layout ({@code <path>/metadata/part-00000}: one JSON line with class,
 * timestamp, sparkVersion, uid, paramMap, defaultParamMap), plus a {@code p9} object carrying the p9 format
 * version and stage-specific fields. Spark's {@code Pipeline} readers find our stages through the class name
 * and its static {@code read()}.
 */
public final class StageIO {
  /** The p9 stage format this code writes; readers refuse newer ones. */
  public static final int FORMAT_VERSION = 1;

  static final ObjectMapper JSON = new ObjectMapper();

  private StageIO() {}

  /**
   * Writes the metadata of {@code stage} to {@code <path>/metadata}.
   *
   * @param stage the stage whose class, uid and params are written
   * @param path the stage folder
   * @param sc the SparkContext that writes the file
   * @param p9 extra fields under {@code p9}, or null
   */
  public static void saveMetadata(Params stage, String path, SparkContext sc, Map<String, ?> p9) {
    ObjectNode root = JSON.createObjectNode();
    root.put("class", stage.getClass().getName());
    root.put("timestamp", System.currentTimeMillis());
    root.put("sparkVersion", sc.version());
    root.put("uid", ((org.apache.spark.ml.util.Identifiable) stage).uid());
    root.set("paramMap", encode(stage.extractParamMap().toSeq(), stage, true));
    root.set("defaultParamMap", encode(stage.extractParamMap().toSeq(), stage, false));
    ObjectNode extra = root.putObject("p9");
    extra.put("formatVersion", FORMAT_VERSION);
    if (p9 != null) {
      p9.forEach((k, v) -> extra.set(k, JSON.valueToTree(v)));
    }
    String line;
    try {
      line = JSON.writeValueAsString(root);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write metadata of " + stage, e);
    }
    new JavaSparkContext(sc).parallelize(List.of(line), 1)
        .saveAsTextFile(new Path(path, "metadata").toString());
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static ObjectNode encode(scala.collection.Seq<ParamPair<?>> pairs, Params stage, boolean explicit) {
    ObjectNode out = JSON.createObjectNode();
    for (ParamPair<?> pp : JavaConverters.seqAsJavaList(pairs)) {
      Param p = pp.param();
      boolean wanted = explicit ? stage.isSet(p) : stage.hasDefault(p);
      if (!wanted) {
        continue;
      }
      Object value = explicit ? stage.get(p).get() : stage.getDefault(p).get();
      try {
        out.set(p.name(), JSON.readTree(p.jsonEncode(value)));
      } catch (JsonProcessingException e) {
        throw new IllegalStateException("param " + p.name() + " encoded to invalid JSON", e);
      }
    }
    return out;
  }

  /**
   * Metadata read back by {@link #loadMetadata}.
   *
   * @param className the stage class
   * @param uid the stage's uid
   * @param sparkVersion the Spark version that saved it
   * @param paramMap the params set explicitly, by name, as their JSON
   * @param defaultParamMap the params' defaults, by name, as their JSON
   * @param p9 the {@code p9} object: the format version and the stage's own fields
   */
  public record Metadata(String className, String uid, String sparkVersion, JsonNode paramMap,
      JsonNode defaultParamMap, JsonNode p9) {

    /**
     * Sets the saved explicit params and saved defaults on {@code stage}.
     *
     * @param stage the stage read back; a saved default of a param it does not have is left out
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public void applyTo(Params stage) {
      for (Iterator<Map.Entry<String, JsonNode>> it = defaultParamMap.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (stage.hasParam(e.getKey())) {
          Param p = stage.getParam(e.getKey());
          stage.setDefault(p, p.jsonDecode(e.getValue().toString()));
        }
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = paramMap.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        Param p = stage.getParam(e.getKey());
        stage.set(p, p.jsonDecode(e.getValue().toString()));
      }
    }
  }

  /**
   * Reads {@code <path>/metadata}, checking the class and the p9 format version.
   *
   * @param path the stage folder
   * @param sc the SparkContext that reads the file
   * @param expected the stage class the metadata must name
   * @return the metadata
   * @throws IllegalArgumentException if it is not JSON, names another class or a format version this p9 does not
   *     read
   */
  public static Metadata loadMetadata(String path, SparkContext sc, Class<?> expected) {
    String line = new JavaSparkContext(sc).textFile(new Path(path, "metadata").toString(), 1).first();
    JsonNode root;
    try {
      root = JSON.readTree(line);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("invalid stage metadata at " + path + ": " + e.getMessage(), e);
    }
    String cls = root.path("class").asText();
    if (!expected.getName().equals(cls)) {
      throw new IllegalArgumentException("stage at " + path + " is a " + cls + ", expected "
          + expected.getName());
    }
    JsonNode p9 = root.path("p9");
    int version = p9.path("formatVersion").asInt(-1);
    if (version < 1 || version > FORMAT_VERSION) {
      throw new IllegalArgumentException("stage at " + path + " has p9 format version " + version
          + "; this p9 reads versions 1.." + FORMAT_VERSION);
    }
    return new Metadata(cls, root.path("uid").asText(), root.path("sparkVersion").asText(),
        root.path("paramMap"), root.path("defaultParamMap"), p9);
  }
}
