package io.p9.spark.ml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p9.core.linalg.CovarianceAccumulator;
import io.p9.spark.ml.internal.ReadFiles;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;
import org.apache.spark.SparkConf;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.serializer.KryoSerializer;
import org.apache.spark.serializer.SerializerInstance;
import org.apache.spark.sql.execution.streaming.SinkFileStatus;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.Test;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

/**
 * The registrator on its own, with Spark's KryoSerializer and no SparkContext: each registered class fails
 * under {@code registrationRequired} without it and round-trips with it. The whole pipeline under
 * {@code registrationRequired} is {@code KryoRegistrationRequiredTest}.
 */
class P9KryoRegistratorTest {
  private static final ClassTag<Object> ANY = ClassTag$.MODULE$.Any();

  @Test
  void registerKryoClassesAddsTheRegistratorOnceAndSelectsKryo() {
    SparkConf conf = new SparkConf(false).set("spark.kryo.registrator", " com.example.A ,com.example.B,");
    assertThat(P9KryoRegistrator.registerKryoClasses(conf)).isSameAs(conf);
    P9KryoRegistrator.registerKryoClasses(conf);
    assertThat(conf.get("spark.kryo.registrator"))
        .isEqualTo("com.example.A,com.example.B," + P9KryoRegistrator.class.getName());
    assertThat(conf.get("spark.serializer")).isEqualTo(KryoSerializer.class.getName());

    SparkConf empty = P9KryoRegistrator.registerKryoClasses(new SparkConf(false));
    assertThat(empty.get("spark.kryo.registrator")).isEqualTo(P9KryoRegistrator.class.getName());
  }

  @Test
  void listedFilesNeedTheRegistrator() {
    ReadFiles.Entry local = new ReadFiles.Entry("file:/data/Training/Apple/", "0_100.jpg", 4_711L,
        1_700_000_000_000L, null, null);
    ReadFiles.Entry s3 = new ReadFiles.Entry("s3a://bucket/Training/Apple/", "0_100.jpg", 4_711L,
        1_700_000_000_000L, "\"d41d8cd98f00b204e9800998ecf8427e\"", "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY");

    assertThatThrownBy(() -> kryo(false).serialize(local, ANY))
        .hasMessageContaining("Class is not registered: io.p9.spark.ml.internal.ReadFiles$Entry");
    for (ReadFiles.Entry e : new ReadFiles.Entry[] {local, s3}) {
      assertThat(roundTrip(e)).isEqualTo(e);
    }
  }

  @Test
  void pcaPartialFitsNeedTheRegistrator() {
    Random rnd = new Random(20261205L);
    // 200 rows: one block folded and 72 rows still buffered, which the serialized form folds in
    CovarianceAccumulator acc = new CovarianceAccumulator(5);
    for (int i = 0; i < 200; i++) {
      acc.add(rnd.doubles(5, -1, 1).toArray());
    }
    assertThatThrownBy(() -> kryo(false).serialize(acc, ANY))
        .hasMessageContaining("Class is not registered: io.p9.core.linalg.CovarianceAccumulator");
    CovarianceAccumulator back = roundTrip(acc);
    assertThat(back.count()).isEqualTo(200);
    assertThat(back.mean()).isEqualTo(acc.mean());
    assertThat(back.covariance()).isEqualTo(acc.covariance());
    assertThat(roundTrip(new CovarianceAccumulator(5)).count()).isZero();
  }

  /**
   * Spark's own classes that p9 jobs meet and Spark leaves out (a file sink's commit message; the schema of a
   * vector column): each fails without the registrator and round-trips with it, a Scala object as itself.
   */
  @Test
  void sparksOwnClassesThatP9JobsMeetNeedTheRegistrator() {
    Object[] values = {
        new SinkFileStatus("file:/out/part-00000.parquet", 4_711L, false, 1_700_000_000_000L, 1, 32L << 20, "add"),
        new VectorUDT(), DataTypes.ByteType, new ArrayType(DataTypes.DoubleType, false)};
    assertThat(P9KryoRegistrator.SPARK_CLASSES)
        .containsExactlyElementsOf(Arrays.stream(values).map(Object::getClass).toList());
    for (Object v : values) {
      assertThatThrownBy(() -> kryo(false).serialize(v, ANY))
          .hasMessageContaining("Class is not registered: " + v.getClass().getName());
      assertThat(roundTrip(v)).isEqualTo(v);
    }
    assertThat(roundTrip(DataTypes.ByteType)).isSameAs(DataTypes.ByteType);
  }

  /** Spark's Kryo serializer with registrationRequired, with or without the registrator. */
  private static SerializerInstance kryo(boolean registrator) {
    SparkConf conf = new SparkConf(false).set("spark.kryo.registrationRequired", "true");
    if (registrator) {
      P9KryoRegistrator.registerKryoClasses(conf);
    }
    return new KryoSerializer(conf).newInstance();
  }

  @SuppressWarnings("unchecked")
  private static <T> T roundTrip(T value) {
    SerializerInstance ser = kryo(true);
    ByteBuffer bytes = ser.serialize(value, ANY);
    return (T) ser.deserialize(bytes, ANY);
  }
}
