package io.p9.spark.ml;

import static org.assertj.core.api.Assertions.assertThat;

import io.p9.spark.ml.testing.Files2;
import io.p9.spark.ml.testing.TestSpark;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Encoders;
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
  void hiddenBelowLooksOnlyUnderTheRoot() {
    org.apache.hadoop.fs.Path root = new org.apache.hadoop.fs.Path("s3a://b/_data/in");
    assertThat(ImageFiles.hiddenBelow(root, new org.apache.hadoop.fs.Path("s3a://b/_data/in/x/y.jpg"))).isFalse();
    assertThat(ImageFiles.hiddenBelow(root, new org.apache.hadoop.fs.Path("s3a://b/_data/in/.x/y.jpg"))).isTrue();
    assertThat(ImageFiles.hiddenBelow(root, new org.apache.hadoop.fs.Path("s3a://b/_data/in/x/_y.jpg"))).isTrue();
  }
}
