package io.p9.spark.ml;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.serializers.JavaSerializer;
import io.p9.core.linalg.CovarianceAccumulator;
import io.p9.spark.ml.internal.ReadFiles;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Set;
import org.apache.spark.SparkConf;
import org.apache.spark.serializer.KryoRegistrator;
import org.apache.spark.serializer.KryoSerializer;

/**
 * Registers with Kryo the classes p9's stages send through {@code spark.serializer}, so that p9 runs with
 * {@code spark.kryo.registrationRequired=true}; without it, the first job of {@link ImageFiles#read} fails
 * with {@code Class is not registered: io.p9.spark.ml.internal.ReadFiles$Entry}. Enable it as any Kryo
 * registrator, {@code spark.kryo.registrator=io.p9.spark.ml.P9KryoRegistrator} (a comma-separated list, so it
 * sits beside your own), or with {@link #registerKryoClasses(SparkConf)}, which does that and selects Kryo,
 * as GraphX's {@code GraphXUtils.registerKryoClasses} does.
 *
 * <p>What it registers, and where each crosses the wire (found by running the whole pipeline, streaming
 * included, with {@code registrationRequired=true}; {@code KryoRegistrationRequiredTest}):
 * <ul>
 *   <li>{@code ReadFiles.Entry}, the files {@link ImageFiles#read} lists on the driver: the tasks' partitions.
 *       Java-serialized inside Kryo, as it is without the registrator (its S3A {@code FileStatus} holds a
 *       Hadoop {@code Path}, whose URI keeps its state in transient fields).
 *   <li>{@code CovarianceAccumulator}, {@link PcaReducer}'s partial fits: task results and the shuffle of
 *       {@code treeAggregate}. Java-serialized inside Kryo, in its compact form (count, mean, packed upper
 *       triangle; no row buffer), which also keeps {@code double[][]} off the list.
 * </ul>
 * Nothing else of p9's goes through Kryo: the model broadcast is a {@code byte[]} and the Hadoop
 * configuration broadcast a {@code SerializableConfiguration} (both registered by Spark), rows are Spark's
 * {@code UnsafeRow}s, and the stages' closures and accumulators go through Java serialization
 * (Spark's closure serializer). {@link PcaReducerModel} reads its {@code data/} with a given schema, so loading
 * a saved pipeline needs no Spark SQL types registered.
 *
 * <p>Not registered here, because they are Spark's own and Spark leaves them out, though a p9 job may meet
 * them: a streaming file sink's commit message ({@code org.apache.spark.sql.execution.streaming.SinkFileStatus})
 * and, when Spark infers the schema of Parquet files holding a vector column (reading p9's features back
 * without a schema), {@code org.apache.spark.ml.linalg.VectorUDT} with the types of its SQL form
 * ({@code org.apache.spark.sql.types.ByteType$}, {@code org.apache.spark.sql.types.ArrayType}). Add those
 * with {@code spark.kryo.classesToRegister} where needed.
 *
 * <p>Spark creates the registrator with its public no-argument constructor and calls it once per Kryo
 * instance, on the driver and on every executor; it holds no state.
 */
public final class P9KryoRegistrator implements KryoRegistrator {
  private static final String REGISTRATORS = "spark.kryo.registrator";

  @Override
  public void registerClasses(Kryo kryo) {
    kryo.register(ReadFiles.Entry.class, new JavaSerializer());
    kryo.register(CovarianceAccumulator.class, new JavaSerializer());
  }

  /**
   * Adds this registrator to {@code conf}'s {@code spark.kryo.registrator} list (kept, without duplicates) and
   * sets {@code spark.serializer} to Spark's {@code KryoSerializer}, as {@code SparkConf.registerKryoClasses}
   * does. Returns {@code conf}.
   */
  public static SparkConf registerKryoClasses(SparkConf conf) {
    Set<String> names = new LinkedHashSet<>();
    Arrays.stream(conf.get(REGISTRATORS, "").split(",")).map(String::trim).filter(s -> !s.isEmpty())
        .forEach(names::add);
    names.add(P9KryoRegistrator.class.getName());
    return conf.set(REGISTRATORS, String.join(",", names))
        .set("spark.serializer", KryoSerializer.class.getName());
  }
}
