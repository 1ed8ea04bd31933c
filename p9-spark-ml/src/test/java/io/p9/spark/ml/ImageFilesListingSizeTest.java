package io.p9.spark.ml;

import static org.assertj.core.api.Assertions.assertThat;

import io.p9.spark.ml.internal.ReadFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.serializer.JavaSerializer;
import org.apache.spark.serializer.KryoSerializer;
import org.apache.spark.serializer.Serializer;
import org.apache.spark.serializer.SerializerInstance;
import org.apache.spark.util.SizeEstimator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

/**
 * What {@link ImageFiles}' listing costs per file: the driver's heap for the listed entries (Spark's
 * {@code SizeEstimator}, as Spark sizes its own caches) and the bytes a task's partition of them takes under
 * Spark's Java and Kryo serializers. p9 is for millions of files, all listed on the driver before any task runs.
 * S3A's entries (with their ETags) are measured against a real S3 server in {@code ImageFilesS3IT}.
 */
class ImageFilesListingSizeTest {
  private static final ClassTag<Object> ANY = ClassTag$.MODULE$.Any();
  private static final int FOLDERS = 20;
  private static final int PER_FOLDER = 150;
  @TempDir static Path dir;

  @BeforeAll
  static void files() throws IOException {
    for (int f = 0; f < FOLDERS; f++) {
      Path folder = Files.createDirectories(dir.resolve("Training/Variety " + f));
      for (int i = 0; i < PER_FOLDER; i++) {
        Files.write(folder.resolve("r_" + i + "_100.jpg"), new byte[] {(byte) i});
      }
    }
  }

  /** 155 bytes a file when each entry held its whole path string; 113 with the folder's shared. */
  @Test
  void aListedLocalFileCostsTheDriverLittleHeap() {
    List<ReadFiles.Entry> entries = ImageFiles.list(new Configuration(), dir.toString());
    assertThat(entries).hasSize(FOLDERS * PER_FOLDER);
    assertThat(entries.get(0).path()).startsWith("file:/").endsWith(".jpg");
    assertThat(SizeEstimator.estimate(entries) / (double) entries.size()).isLessThan(128);
  }

  /**
   * A task's 128 entries: 94 bytes each when Kryo wrote each with Java serialization (class descriptor and
   * all), 24 with their own serializer; 46 with Java's. Each comes back equal.
   */
  @Test
  void aTasksPartitionOfEntriesIsSmallUnderJavaAndKryo() {
    List<ReadFiles.Entry> entries = ImageFiles.list(new Configuration(), dir.toString());
    // as Spark slices a parallelized list: Object[] (JavaSparkContext's class tag is AnyRef's)
    Object[] partition = entries.subList(100, 228).toArray();
    assertThat(bytesPerEntry(new JavaSerializer(new SparkConf(false)), partition)).isLessThan(64);
    assertThat(bytesPerEntry(new KryoSerializer(new SparkConf(false)), partition)).isLessThan(40);
    assertThat(bytesPerEntry(new KryoSerializer(P9KryoRegistrator.registerKryoClasses(new SparkConf(false))
        .set("spark.kryo.registrationRequired", "true")), partition)).isLessThan(40);
  }

  /** The serialized size of {@code partition} per entry, after checking that it reads back as it was. */
  static double bytesPerEntry(Serializer serializer, Object[] partition) {
    SerializerInstance s = serializer.newInstance();
    ByteBuffer bytes = s.serialize(partition, ANY);
    int size = bytes.remaining();
    assertThat((Object[]) s.deserialize(bytes, ANY)).containsExactly(partition);
    return size / (double) partition.length;
  }
}
