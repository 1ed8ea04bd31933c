package io.p9.spark.ml;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The local file system's listing for {@link ImageFiles}: folder by folder, as {@code listFiles} builds
 * {@code LocatedFileStatus} objects, which read each file's permissions, and the local file system forks a shell
 * per file to do that. It takes a folder's names from {@code java.nio}, in name order, and asks each visible one's
 * status, as the local file system's {@code listStatus} does, which leaves out, without a word, a name it cannot
 * find then (a dangling symbolic link): those are counted here.
 *
 * <p>It follows symbolic links, as Spark's file sources do, but reads each real file once: a folder or file that a
 * link leads to where the listing reads it already (through another link, or without one, as {@code in/b -> a},
 * or a folder it is in, {@code latest -> ..}) is skipped and counted as a duplicate. What is reached without a link
 * is read where it is: folders reached through a link are walked after all others, files reached through one (and
 * the files the input paths name) are read last, in path order.
 */
final class LocalWalk {
  private final FileSystem fs;
  private final ImageFiles.Skips skips;
  private final Consumer<FileStatus> read;
  /** The real paths of the folders walked. */
  private final Set<java.nio.file.Path> walked = new HashSet<>();
  /** Folders reached through a link, not walked yet. */
  private final Queue<Reached> linked = new ArrayDeque<>();
  /** Files reached through a link, and the files named as input paths, with their real paths. */
  private final List<Reached> files = new ArrayList<>();
  /** The real paths of the folders of the files named as input paths. */
  private final Map<java.nio.file.Path, java.nio.file.Path> realFolders = new HashMap<>();

  /** A folder reached through a link and its local path, or a file to read last and its real path. */
  private record Reached(FileStatus status, java.nio.file.Path path) {}

  /** A walk that passes the files it reads to {@code read} and counts in {@code skips} what it skips. */
  LocalWalk(FileSystem fs, ImageFiles.Skips skips, Consumer<FileStatus> read) {
    this.fs = fs;
    this.skips = skips;
    this.read = read;
  }

  /** Reads the files under the folder an input path names now, the file it names in {@link #finish()}. */
  void root(FileStatus root) throws IOException {
    java.nio.file.Path local = local(root.getPath());
    if (root.isDirectory()) {
      walk(root, local, local.toRealPath());
    } else {
      files.add(new Reached(root, Files.isSymbolicLink(local) ? local.toRealPath()
          : realFolder(local.getParent()).resolve(local.getFileName())));
    }
  }

  /** A folder's real path; a glob names many files in few folders. */
  private java.nio.file.Path realFolder(java.nio.file.Path folder) throws IOException {
    java.nio.file.Path real = realFolders.get(folder);
    if (real == null) {
      real = folder.toRealPath();
      realFolders.put(folder, real);
    }
    return real;
  }

  /**
   * Walks the folders reached through a link that are not walked yet, then reads the files reached through a link
   * and those the input paths name that are not read yet, in path order.
   */
  void finish() throws IOException {
    for (Reached folder = linked.poll(); folder != null; folder = linked.poll()) {
      walk(folder.status(), folder.path(), folder.path().toRealPath());
    }
    files.sort(Comparator.comparing(Reached::status));
    Set<java.nio.file.Path> claimed = new HashSet<>();
    for (Reached f : files) {
      java.nio.file.Path real = f.path();
      boolean walkedThere = walked.contains(real.getParent()) && !ImageFiles.hidden(real.getFileName().toString());
      if (walkedThere || !claimed.add(real)) {
        skips.duplicate(qualified(f.status().getPath()));
      } else {
        read.accept(f.status());
      }
    }
  }

  /** Reads the files under {@code folder}, whose real path is {@code real}, unless it was walked already. */
  private void walk(FileStatus folder, java.nio.file.Path local, java.nio.file.Path real) throws IOException {
    if (!walked.add(real)) {
      skips.duplicate(qualified(folder.getPath()));
      return;
    }
    for (String name : names(local)) {
      // as the local file system's listStatus builds its children's paths: a name with a ':' is no URI scheme
      Path child = new Path(folder.getPath(), new Path(null, null, name));
      if (ImageFiles.hidden(name)) {
        skips.hidden(qualified(child), name);
        continue;
      }
      FileStatus status;
      try {
        status = fs.getFileStatus(child);
      } catch (FileNotFoundException e) {
        skips.dangling(qualified(child));
        continue;
      }
      java.nio.file.Path childLocal = local.resolve(name);
      boolean link = Files.isSymbolicLink(childLocal);
      if (status.isDirectory() && link) {
        linked.add(new Reached(status, childLocal));
      } else if (status.isDirectory()) {
        walk(status, childLocal, real.resolve(name));
      } else if (link) {
        files.add(new Reached(status, childLocal.toRealPath()));
      } else {
        read.accept(status);
      }
    }
  }

  /** The names in a local folder, in order. */
  private static List<String> names(java.nio.file.Path folder) throws IOException {
    List<String> names = new ArrayList<>();
    try (DirectoryStream<java.nio.file.Path> children = Files.newDirectoryStream(folder)) {
      for (java.nio.file.Path child : children) {
        names.add(child.getFileName().toString());
      }
    }
    names.sort(null);
    return names;
  }

  /** The local path of a Hadoop one. */
  private java.nio.file.Path local(Path path) {
    // the decoded path: Path.of(URI) refuses the raw non-ASCII characters that Hadoop's URIs keep ("Bad escape")
    return java.nio.file.Path.of(fs.makeQualified(path).toUri().getPath());
  }

  private String qualified(Path path) {
    return fs.makeQualified(path).toString();
  }
}
