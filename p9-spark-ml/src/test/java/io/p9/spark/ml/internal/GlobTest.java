package io.p9.spark.ml.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Glob} against Hadoop's own {@code globStatus} on seeded random trees (folders, files, hidden names, names
 * with glob characters, symbolic links to a folder, to a folder above, to a file, dangling) and random patterns
 * over them: the same matches in the same order, null where Hadoop gives null. Hadoop cannot glob names holding a
 * ':'; there the same trees with ':' in names must match as Hadoop matches them with ';' in their place.
 */
class GlobTest {
  private static final List<String> NAMES = List.of("a", "b", "ab", "ba", "a.jpg", "b.png", "ab.jpg", ".h",
      "_u", "a b", "x[1]", "{c}", "x1", "a=b", "n%20o");
  private static final List<String> COLON_NAMES = List.of("c:d", "a:b.jpg", "col:on", "a:", ":b");
  private static final List<String> WILDCARDS = List.of("*", "?", "a*", "*b", "*.jpg", "{a,b}", "{a,ab}*",
      "[ab]", "[^a]*", "?b*", "{x\\[1\\],b}", "x\\[1\\]", "\\{c\\}", "{c}", "x[1]", "nope", "*:*", "c:*",
      "{a/b,ba}", "{a,b}/*", "*/{a,b}*");
  private static final int TREES = 25;
  private static final int PATTERNS = 40;

  @TempDir java.nio.file.Path tmp;

  @Test
  void matchesWhatHadoopsGlobMatchesInTheSameOrder() throws IOException {
    FileSystem fs = FileSystem.getLocal(new Configuration());
    int matched = 0;
    for (int seed = 0; seed < TREES; seed++) {
      Random r = new Random(seed);
      java.nio.file.Path root = Files.createDirectories(tmp.resolve("t" + seed));
      List<String> folders = tree(r, root, NAMES);
      for (int i = 0; i < PATTERNS; i++) {
        String pattern = root + "/" + pattern(r, folders);
        FileStatus[] hadoops = fs.globStatus(new Path(pattern));
        assertThat(described(Glob.matches(fs, new Path(pattern)))).as("seed %d: %s", seed, pattern)
            .isEqualTo(described(hadoops));
        matched += hadoops == null ? 0 : hadoops.length;
      }
    }
    assertThat(matched).as("the patterns match something").isGreaterThan(TREES * PATTERNS / 4);
  }

  /** A relative pattern is taken from the file system's working directory, as Hadoop takes it. */
  @Test
  void aRelativePatternIsGlobbedFromTheWorkingDirectory() throws IOException {
    Random r = new Random(99);
    List<String> folders = tree(r, tmp, NAMES);
    try (FileSystem fs = FileSystem.newInstance(new Configuration())) {
      fs.setWorkingDirectory(new Path(tmp.toUri()));
      for (int i = 0; i < PATTERNS; i++) {
        // "./": a first name with a ':' in a relative path is a URI scheme to Hadoop
        Path pattern = new Path("./" + pattern(r, folders));
        assertThat(described(Glob.matches(fs, pattern))).as("%s", pattern)
            .isEqualTo(described(fs.globStatus(pattern)));
      }
    }
  }

  /**
   * Names with a ':' fail Hadoop's glob ({@code Relative path in absolute URI}); here they match as their ';'
   * twins match in Hadoop's, in a copy of the tree with ';' for ':'.
   */
  @Test
  void namesWithAColonMatchAsHadoopMatchesTheSameNamesWithoutIt() throws IOException {
    FileSystem fs = FileSystem.getLocal(new Configuration());
    List<String> names = new ArrayList<>(NAMES);
    names.addAll(COLON_NAMES);
    int colons = 0;
    for (int seed = 0; seed < TREES; seed++) {
      java.nio.file.Path colon = Files.createDirectories(tmp.resolve("colon" + seed));
      java.nio.file.Path twin = Files.createDirectories(tmp.resolve("twin" + seed));
      List<String> folders = tree(new Random(seed), colon, names);
      tree(new Random(seed), twin, names.stream().map(n -> n.replace(':', ';')).toList());
      Random r = new Random(1000 + seed);
      for (int i = 0; i < PATTERNS; i++) {
        String pattern = pattern(r, folders);
        List<String> ours = described(Glob.matches(fs, new Path(colon + "/" + pattern)));
        List<String> hadoops = described(fs.globStatus(new Path(twin + "/" + pattern.replace(':', ';'))));
        assertThat(ours).as("seed %d: %s", seed, pattern).isEqualTo(hadoops == null ? null : hadoops.stream()
            .map(m -> m.replace(twin.toString(), colon.toString()).replace(';', ':')).toList());
        colons += ours == null ? 0 : (int) ours.stream().filter(m -> m.substring(m.indexOf("/colon")).contains(":"))
            .count();
      }
    }
    assertThat(colons).as("matches holding a ':'").isGreaterThan(TREES);
  }

  /** Hadoop's glob fails wherever it meets a name with a ':', listed or literal; this one matches it. */
  @Test
  void aGlobThroughANameWithAColonMatchesWhereHadoopsFails() throws IOException {
    FileSystem fs = FileSystem.getLocal(new Configuration());
    Files.createDirectories(tmp.resolve("col:on"));
    Files.createDirectories(tmp.resolve("plain"));
    Files.write(tmp.resolve("col:on/a:b.jpg"), new byte[] {1});
    Files.write(tmp.resolve("plain/c.jpg"), new byte[] {2, 3});
    String root = "file:" + tmp;
    for (String[] globAndMatches : new String[][] {{"/*/*.jpg", "/col:on/a:b.jpg file 1", "/plain/c.jpg file 2"},
        {"/col:on/*", "/col:on/a:b.jpg file 1"}, {"/c*", "/col:on folder"}, {"/{col:on,plain}/?.jpg",
            "/plain/c.jpg file 2"}}) {
      Path glob = new Path(tmp + globAndMatches[0]);
      assertThatThrownBy(() -> fs.globStatus(glob)).as("Hadoop's %s", glob)
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Relative path in absolute URI");
      assertThat(described(Glob.matches(fs, glob))).as("%s", glob).isEqualTo(Arrays.stream(globAndMatches)
          .skip(1).map(m -> root + m).toList());
    }
  }

  @Test
  void anIllegalPatternFailsAsInHadoop() throws IOException {
    FileSystem fs = FileSystem.getLocal(new Configuration());
    Path bad = new Path(tmp + "/[a");
    assertThatThrownBy(() -> fs.globStatus(bad)).isInstanceOf(IOException.class);
    assertThatThrownBy(() -> Glob.matches(fs, bad)).isInstanceOf(IOException.class)
        .hasMessageContaining("Illegal file pattern");
  }

  /**
   * A random tree under {@code root} of folders and files named from {@code names}, with now and then a symbolic
   * link to another folder, to a folder above, to a file, or to nothing: the folders, relative to the root.
   */
  private static List<String> tree(Random r, java.nio.file.Path root, List<String> names) throws IOException {
    List<String> folders = new ArrayList<>(List.of(""));
    List<java.nio.file.Path> files = new ArrayList<>();
    for (int f = 0; f < folders.size() && folders.size() < 30; f++) {
      java.nio.file.Path folder = root.resolve(folders.get(f));
      int depth = folders.get(f).isEmpty() ? 0 : folders.get(f).split("/").length;
      for (int i = r.nextInt(6); i > 0; i--) {
        String name = names.get(r.nextInt(names.size()));
        java.nio.file.Path child = folder.resolve(name);
        if (Files.exists(child, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
          continue;
        }
        int kind = r.nextInt(12);
        if (kind < 5 && depth < 3) {
          Files.createDirectories(child);
          folders.add(root.relativize(child).toString());
        } else if (kind == 5 && f > 0) {
          Files.createSymbolicLink(child, root.resolve(folders.get(r.nextInt(f))));
        } else if (kind == 6 && !files.isEmpty()) {
          Files.createSymbolicLink(child, files.get(r.nextInt(files.size())));
        } else if (kind == 7) {
          Files.createSymbolicLink(child, folder.resolve("missing"));
        } else {
          files.add(Files.write(child, new byte[r.nextInt(3)]));
        }
      }
    }
    return folders;
  }

  /** A pattern relative to a tree's root: one to four parts, each a name of the tree or a wildcard. */
  private static String pattern(Random r, List<String> folders) {
    String base = folders.get(r.nextInt(folders.size()));
    String[] names = base.isEmpty() ? new String[0] : base.split("/");
    List<String> parts = new ArrayList<>();
    for (int i = 0, n = 1 + r.nextInt(4); i < n; i++) {
      parts.add(i < names.length && r.nextInt(3) > 0 ? escaped(names[i]) : WILDCARDS.get(r.nextInt(WILDCARDS.size())));
    }
    return String.join("/", parts);
  }

  /** A name as a literal part of a pattern. */
  private static String escaped(String name) {
    return name.replaceAll("([\\[\\]{}*?\\\\])", "\\\\$1");
  }

  /** Each match's path, kind and length, or null. */
  private static List<String> described(FileStatus[] matches) {
    return matches == null ? null : Arrays.stream(matches)
        .map(m -> m.getPath() + (m.isDirectory() ? " folder" : " file " + m.getLen())).toList();
  }
}
