package io.p9.spark.ml;

import static org.assertj.core.api.Assertions.assertThat;

import io.p9.spark.ml.internal.ReadFiles;
import io.p9.spark.ml.testing.TestSpark;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local walk builds a file's entry from its folder's qualified path and its name, and its length and time from
 * one {@code lstat}, without Hadoop's path and status per file: on random trees of odd names (spaces at either end,
 * {@code %}, {@code :}, {@code #}, {@code ?}, backslashes, non-ASCII letters, spaces and controls), hidden names,
 * empty files, times before 1970 and in the far future, and symbolic links to files and folders outside the tree and
 * to nothing, its entries and what it skips equal, field by field, those of Hadoop's own listing of the tree
 * ({@code listStatus}, which follows links, and {@code makeQualified}).
 */
class LocalListingPropertyTest {
  /** The pieces names are made of. */
  private static final String[] PIECES = {"a", "Z", "7", " ", "%", "%20", "%zz", "%C3%BC", ":", "#", "?", "\\", "=",
      "+", "&", "@", ";", ",", "[", "]", "{", "}", "*", "!", "$", "'", "\"", "~", "-", ".", "..", "_", "\u00fc",
      "\u00df", "e\u0301", "\u4e2d", "\u00a0", "\u2003", "\u0085", "\u200b", "\ud83d\ude00", "\n", "\t", "file:",
      "\\\\"};
  /** Names that are hidden, some of them bookkeeping. */
  private static final String[] HIDDEN = {".", "_", "_SUCCESS", "_temporary", ".x.crc", "x._COPYING_"};

  @TempDir java.nio.file.Path tmp;
  private final Random random = new Random(20261206);
  private final Configuration conf = new Configuration();
  private int targets;

  @Test
  void theWalksEntriesAndSkipsAreHadoopsOnRandomTreesOfOddNames() throws IOException {
    // the raw one: the local file system's listStatus leaves out checksum files (.x.crc), which a listing counts
    FileSystem fs = FileSystem.getLocal(conf).getRawFileSystem();
    int files = 0;
    int skipped = 0;
    for (int tree = 0; tree < 25; tree++) {
      java.nio.file.Path root = Files.createDirectories(tmp.resolve("t" + tree + "/in " + name()));
      folder(root, 0);
      Hadoop hadoop = new Hadoop(fs);
      hadoop.walk(fs.makeQualified(new Path(root.toString())));
      List<ReadFiles.Entry> ours = ImageFiles.list(conf, root.toString());
      ours.sort(null);
      hadoop.entries.sort(null);
      assertThat(ours).as(root.toString()).isEqualTo(hadoop.entries);
      ImageFiles.Listing listing = ImageFiles.listing(TestSpark.get(), root.toString());
      assertThat(listing.skippedHidden()).as(root.toString()).isEqualTo(skipped(hadoop.hidden));
      assertThat(listing.skippedBookkeeping()).as(root.toString()).isEqualTo(skipped(hadoop.bookkeeping));
      assertThat(listing.skippedDangling()).as(root.toString()).isEqualTo(skipped(hadoop.dangling));
      assertThat(listing.skippedDuplicates()).isEqualTo(ImageFiles.Skipped.NONE);
      files += ours.size();
      skipped += hadoop.hidden.size() + hadoop.bookkeeping.size() + hadoop.dangling.size();
    }
    assertThat(files).isGreaterThan(200);
    assertThat(skipped).isGreaterThan(50);
  }

  /** Fills {@code folder} with random files, folders, hidden names and links, {@code depth} folders down. */
  private void folder(java.nio.file.Path folder, int depth) throws IOException {
    Set<String> names = new HashSet<>();
    int n = 1 + random.nextInt(8);
    for (int i = 0; i < n; i++) {
      String name = name();
      if (!names.add(name)) {
        continue;
      }
      java.nio.file.Path child = folder.resolve(name);
      int kind = random.nextInt(10);
      if (kind < 5 || depth >= 3 && kind < 7) {
        file(child);
      } else if (kind < 7) {
        folder(Files.createDirectories(child), depth + 1);
      } else if (kind == 7) {
        Files.createSymbolicLink(child, file(target()));
      } else if (kind == 8) {
        java.nio.file.Path target = Files.createDirectories(target());
        file(target.resolve(name()));
        Files.createSymbolicLink(child, target);
      } else {
        Files.createSymbolicLink(child, tmp.resolve("gone " + targets++));
      }
      if (random.nextInt(6) == 0) {
        String hidden = HIDDEN[random.nextInt(HIDDEN.length)];
        java.nio.file.Path h = folder.resolve(hidden.length() == 1 ? hidden + name : hidden);
        if (names.add(h.getFileName().toString())) {
          file(random.nextBoolean() ? h : Files.createDirectories(h).resolve(name()));
        }
      }
    }
  }

  /** A new path outside the trees for a link to lead to. */
  private java.nio.file.Path target() throws IOException {
    return Files.createDirectories(tmp.resolve("out")).resolve(targets++ + " " + name());
  }

  /**
   * Writes 0 to 3 bytes at {@code file} and gives it a random time, to the nanosecond, also before 1970 (there
   * {@code File.lastModified} rounds down, {@code FileTime.toMillis} towards 0). Java sets no time before 1970
   * (it sets 0 instead): {@code touch} does.
   */
  private java.nio.file.Path file(java.nio.file.Path file) throws IOException {
    byte[] bytes = new byte[random.nextInt(4)];
    random.nextBytes(bytes);
    Files.write(file, bytes);
    long seconds = random.nextInt(Integer.MAX_VALUE);
    int nanos = random.nextInt(1_000_000_000);
    if (random.nextInt(3) > 0) {
      Files.setLastModifiedTime(file, FileTime.from(Instant.ofEpochSecond(seconds, nanos)));
      return file;
    }
    Process touch = new ProcessBuilder("touch", "-d", String.format("@-%d.%09d", seconds, nanos), file.toString())
        .redirectErrorStream(true).start();
    try {
      assertThat(touch.waitFor()).as(new String(touch.getInputStream().readAllBytes())).isZero();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
    assertThat(file.toFile().lastModified()).isLessThanOrEqualTo(-seconds * 1000);
    return file;
  }

  /** A random name: pieces around a number, not hidden, at times with spaces at either end. */
  private String name() {
    StringBuilder name = new StringBuilder(random.nextInt(5) == 0 ? " " : "");
    for (int i = random.nextInt(7); i >= 0; i--) {
      name.append(PIECES[random.nextInt(PIECES.length)]);
      if (i == 2) {
        name.append(random.nextInt(100));
      }
    }
    name.append(random.nextInt(5) == 0 ? " " : "");
    return ImageFiles.hidden(name.toString()) ? "v" + name : name.toString();
  }

  /** {@return the skipped paths as a listing counts them: the count, the first few in path order} */
  private static ImageFiles.Skipped skipped(List<String> paths) {
    return paths.isEmpty() ? ImageFiles.Skipped.NONE
        : new ImageFiles.Skipped(paths.size(), paths.stream().sorted().limit(ImageFiles.Skipped.MAX_EXAMPLES).toList());
  }

  /** Hadoop's own listing of a tree: its raw local file system's listStatus, which follows links, and makeQualified. */
  private static final class Hadoop {
    private final FileSystem fs;
    private final List<ReadFiles.Entry> entries = new ArrayList<>();
    private final List<String> hidden = new ArrayList<>();
    private final List<String> bookkeeping = new ArrayList<>();
    private final List<String> dangling = new ArrayList<>();

    Hadoop(FileSystem fs) {
      this.fs = fs;
    }

    void walk(Path folder) throws IOException {
      Set<String> listed = new HashSet<>();
      for (FileStatus status : fs.listStatus(folder)) {
        String name = status.getPath().getName();
        listed.add(name);
        String path = fs.makeQualified(status.getPath()).toString();
        if (ImageFiles.hidden(name)) {
          (ImageFiles.bookkeeping(name) ? bookkeeping : hidden).add(path);
        } else if (status.isDirectory()) {
          walk(status.getPath());
        } else {
          int slash = path.lastIndexOf('/') + 1;
          entries.add(new ReadFiles.Entry(path.substring(0, slash), path.substring(slash), status.getLen(),
              status.getModificationTime(), null, null));
        }
      }
      // the names listStatus leaves out: links to nothing
      for (String name : new File(folder.toUri().getPath()).list()) {
        if (!listed.contains(name)) {
          dangling.add(fs.makeQualified(new Path(folder, new Path(null, null, name))).toString());
        }
      }
    }
  }
}
