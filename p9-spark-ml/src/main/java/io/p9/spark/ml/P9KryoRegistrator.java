package io.p9.spark.ml;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.serializers.JavaSerializer;
import io.p9.core.linalg.CovarianceAccumulator;
import io.p9.spark.ml.internal.ReadFiles;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.SparkConf;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.serializer.KryoRegistrator;
import org.apache.spark.serializer.KryoSerializer;
import org.apache.spark.sql.execution.streaming.SinkFileStatus;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.ByteType$;

/**
 * Registers with Kryo the classes p9's stages send through {@code spark.serializer}, and the few of Spark's
 * own that a p9 job meets and Spark leaves unregistered, so that p9 jobs run with
 * {@code spark.kryo.registrationRequired=true}; without it, the first job of {@link ImageFiles#read} fails
 * with {@code Class is not registered: io.p9.spark.ml.internal.ReadFiles$Entry}. Enable it as any Kryo
 * registrator, {@code spark.kryo.registrator=io.p9.spark.ml.P9KryoRegistrator} (a comma-separated list, so it
 * sits beside your own), or with {@link #registerKryoClasses(SparkConf)}, which does that and selects Kryo,
 * as GraphX's {@code GraphXUtils.registerKryoClasses} does.
 *
 * <p>What it registers, and where each crosses the wire (found by running the whole pipeline, streaming
 * included, with {@code registrationRequired=true} and reading the {@code Class is not registered} errors;
 * {@code KryoRegistrationRequiredTest}):
 * <ul>
 *   <li>{@code ReadFiles.Entry}, the files {@link ImageFiles#read} lists on the driver: the tasks' partitions.
 *       With its own serializer, as without the registrator (its strings and numbers, a folder once for a run
 *       of files in it).
 *   <li>{@code CovarianceAccumulator}, {@link PcaReducer}'s partial fits: task results and the shuffle of
 *       {@code treeAggregate}. Java-serialized inside Kryo, in its compact form (count, mean, packed upper
 *       triangle; no row buffer), which also keeps {@code double[][]} off the list.
 *   <li>Spark's {@code org.apache.spark.sql.execution.streaming.SinkFileStatus}: the commit message of a
 *       structured stream's file sink (streaming features to Parquet), the files each task wrote.
 *   <li>Spark's {@code org.apache.spark.ml.linalg.VectorUDT}, {@code org.apache.spark.sql.types.ByteType$} and
 *       {@code org.apache.spark.sql.types.ArrayType}: Spark infers a Parquet schema (reading p9's features
 *       back without giving one) in a job whose task results are the files' schemas, and a vector column
 *       brings its UDT and the types of its SQL form ({@code struct<type:tinyint, size:int,
 *       indices:array<int>, values:array<double>>}) that Spark does not register itself.
 * </ul>
 * Spark's classes get Kryo's default serializer, as {@code spark.kryo.classesToRegister} would give them (a
 * Scala object such as {@code ByteType$} comes back as itself); naming them there too does no harm.
 * Nothing else of p9's goes through Kryo: the model broadcast is a {@code byte[]} and the Hadoop
 * configuration broadcast a {@code SerializableConfiguration} (both registered by Spark), rows are Spark's
 * {@code UnsafeRow}s, and the stages' closures and accumulators go through Java serialization
 * (Spark's closure serializer). {@link PcaReducerModel} reads its {@code data/} with a given schema, so loading
 * a saved pipeline needs no Spark SQL types registered. Other Spark features a job uses may meet other
 * unregistered Spark classes: add those with {@code spark.kryo.classesToRegister}.
 *
 * <p>Spark creates the registrator with its public no-argument constructor and calls it once per Kryo
 * instance, on the driver and on every executor; it holds no state.
 */
public final class P9KryoRegistrator implements KryoRegistrator {
  private static final String REGISTRATORS = "spark.kryo.registrator";
  /** Spark's own classes that p9 jobs send through Kryo and Spark does not register (see the class doc). */
  static final List<Class<?>> SPARK_CLASSES = List.of(SinkFileStatus.class, VectorUDT.class, ByteType$.class,
      ArrayType.class);

  @Override
  public void registerClasses(Kryo kryo) {
    kryo.register(ReadFiles.Entry.class, new ReadFiles.EntrySerializer());
    kryo.register(CovarianceAccumulator.class, new JavaSerializer());
    for (Class<?> c : SPARK_CLASSES) {
      kryo.register(c);
    }
  }

  /**
   * Adds this registrator to {@code conf}'s {@code spark.kryo.registrator} list (kept, without duplicates) and
   * sets {@code spark.serializer} to Spark's {@code KryoSerializer}, as {@code SparkConf.registerKryoClasses}
   * does.
   *
   * @param conf the application's conf, changed in place
   * @return {@code conf}
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
