package io.p9.spark.ml;

import static org.assertj.core.api.Assertions.assertThat;

import io.p9.spark.ml.testing.Files2;
import io.p9.spark.ml.testing.TestSpark;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFilesTest {
  @TempDir Path tmp;

  @Test
  void listsEveryVisibleFileIncludingZeroByteOnesAtAnyDepth() {
    Files2.write(tmp.resolve("a/one.jpg"), new byte[] {1, 2, 3});
    Files2.write(tmp.resolve("a/b/empty.jpg"), new byte[0]);
    Files2.write(tmp.resolve("c/empty too.png"), new byte[0]);
    Files2.write(tmp.resolve("a/_hidden/empty.jpg"), new byte[0]);
    Files2.write(tmp.resolve("a/.hidden.jpg"), new byte[0]);
    Files2.write(tmp.resolve("_SUCCESS"), new byte[0]);
    List<String> names = ImageFiles.read(TestSpark.get(), tmp.toString()).select("path")
        .as(Encoders.STRING()).collectAsList().stream().map(p -> p.substring(tmp.toString().length() + 6))
        .sorted().toList();
    assertThat(names).containsExactly("a/b/empty.jpg", "a/one.jpg", "c/empty too.png");
  }

  @Test
  void groupsSmallFilesIntoAboutFilesPerPartitionTasksAMultipleOfTheCores() {
    for (int i = 0; i < 200; i++) {
      Files2.write(tmp.resolve("v" + (i % 7) + "/img" + i + ".jpg"), new byte[] {(byte) i, 1});
    }
    Files2.write(tmp.resolve("v0/empty.jpg"), new byte[0]);
    // Spark alone packs about 32 small files per task (openCostInBytes = 4 MB): 201 files -> 7+ tasks
    Dataset<Row> spark = ImageFiles.read(TestSpark.get(), 0, tmp.toString());
    assertThat(spark.rdd().getNumPartitions()).isGreaterThanOrEqualTo(7);
    // 201 files, 64 per task, 2 cores: ceil(201 / 128) = 2 rounds of 2 tasks
    Dataset<Row> grouped = ImageFiles.read(TestSpark.get(), 64, tmp.toString());
    assertThat(grouped.rdd().getNumPartitions()).isEqualTo(4);
    assertThat(grouped.count()).isEqualTo(201);
    assertThat(grouped.select("path").distinct().count()).isEqualTo(201);
    assertThat(grouped.filter("length = 0").count()).isEqualTo(1);
  }

  @Test
  void partitionCountIsAMultipleOfTheCoresAndNeverZero() {
    assertThat(ImageFiles.partitions(0, 128, 2)).isEqualTo(2);
    assertThat(ImageFiles.partitions(240, 128, 2)).isEqualTo(2);
    assertThat(ImageFiles.partitions(257, 128, 2)).isEqualTo(4);
    assertThat(ImageFiles.partitions(1920, 128, 2)).isEqualTo(16);
    assertThat(ImageFiles.partitions(7680, 128, 2)).isEqualTo(60);
    assertThat(ImageFiles.partitions(1, 128, 64)).isEqualTo(64);
    assertThat(ImageFiles.partitions(1_000_000, 128, 0)).isEqualTo(7813);
  }

  @Test
  void hiddenBelowLooksOnlyUnderTheRoot() {
    org.apache.hadoop.fs.Path root = new org.apache.hadoop.fs.Path("s3a://b/_data/in");
    assertThat(ImageFiles.hiddenBelow(root, new org.apache.hadoop.fs.Path("s3a://b/_data/in/x/y.jpg"))).isFalse();
    assertThat(ImageFiles.hiddenBelow(root, new org.apache.hadoop.fs.Path("s3a://b/_data/in/.x/y.jpg"))).isTrue();
    assertThat(ImageFiles.hiddenBelow(root, new org.apache.hadoop.fs.Path("s3a://b/_data/in/x/_y.jpg"))).isTrue();
  }
}
