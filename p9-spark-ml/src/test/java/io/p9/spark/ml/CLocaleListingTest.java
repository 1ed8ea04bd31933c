package io.p9.spark.ml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p9.spark.ml.testing.Files2;
import io.p9.spark.ml.testing.TestSpark;
import java.nio.file.Path;
import org.apache.spark.sql.Encoders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The listing in a JVM started in the C (POSIX) locale, a container's default where {@code LANG} is not set: the
 * JVM's file-name encoding is then ASCII, and a UTF-8 name outside ASCII decodes to a string that leads to no file.
 * Runs in its own surefire execution ({@code c-locale}), whose JVM starts with {@code LC_ALL=C}.
 */
class CLocaleListingTest {
  @TempDir Path tmp;

  /**
   * A file {@code café.jpg} and a folder {@code Äpfel} are skipped and counted as names the JVM cannot read, and the
   * other files are read. Such a name used to fail the whole listing ("Hadoop cannot take a name in it as a path"),
   * with advice about ':' that did not apply. The folder named as the input path is not found, and the failure
   * says why and what to do.
   */
  @Test
  void namesOutsideAsciiAreSkippedAndCountedAndTheOtherFilesRead() {
    assertThat(System.getProperty("sun.jnu.encoding")).as("the JVM's file-name encoding: this test runs in the"
        + " c-locale surefire execution, whose JVM starts with LC_ALL=C").isEqualTo("ANSI_X3.4-1968");
    Files2.write(tmp.resolve("x.jpg"), new byte[] {1});
    Files2.createRawName(tmp, "caf\\303\\251.jpg", false);
    Files2.createRawName(tmp, "\\303\\204pfel", true);
    ImageFiles.Listing listing = ImageFiles.listing(TestSpark.get(), tmp.toString());

    String root = "file:" + tmp;
    assertThat(listing.read().select("path").as(Encoders.STRING()).collectAsList()).containsExactly(root + "/x.jpg");
    assertThat(listing.skippedUnreadableNames().count()).isEqualTo(2);
    assertThat(listing.skippedUnreadableNames().examples()).allSatisfy(p -> assertThat(p).startsWith(root + "/"))
        .anySatisfy(p -> assertThat(p).endsWith("pfel")).anySatisfy(p -> assertThat(p).startsWith(root + "/caf"));
    assertThat(listing.skippedDangling()).isEqualTo(ImageFiles.Skipped.NONE);

    // the folder named as the input: "does not exist" says why it may be there all the same
    assertThatThrownBy(() -> ImageFiles.listing(TestSpark.get(), tmp + "/\u00c4pfel"))
        .hasMessageContaining("Path does not exist: file:" + tmp + "/")
        .hasMessageEndingWith("pfel (a name in it is not valid in this JVM's file-name encoding, ANSI_X3.4-1968,"
            + " which comes from the locale: run in a UTF-8 locale, e.g. LANG=C.UTF-8)");
  }
}
