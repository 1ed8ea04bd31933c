package io.p9.spark.ml;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The local file system's listing for {@link ImageFiles}: folder by folder, as {@code listFiles} builds
 * {@code LocatedFileStatus} objects, which read each file's permissions, and the local file system forks a shell
 * per file to do that. It takes a folder's names from {@code java.nio}, in name order, and looks at each visible
 * one without following a link (one {@code lstat}): a file's entry is its folder's qualified path and its name, with
 * the length and time the local file system's status gives, without a Hadoop path or status per file (that status
 * takes four {@code stat} calls and a URI's parsing). A symbolic link is asked the local file system's status, as
 * its {@code listStatus} does, which leaves out, without a word, a name it cannot find then (a dangling symbolic
 * link): those are counted here.
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
  private final ListedFiles listed;
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

  /** A walk that adds the files it reads to {@code listed} and counts in {@code skips} what it skips. */
  LocalWalk(FileSystem fs, ImageFiles.Skips skips, ListedFiles listed) {
    this.fs = fs;
    this.skips = skips;
    this.listed = listed;
  }

  /** Reads the files under the folder an input path names now, the file it names in {@link #finish()}. */
  void root(FileStatus root) throws IOException {
    java.nio.file.Path local = local(root.getPath());
    if (root.isDirectory()) {
      walk(root.getPath(), local, local.toRealPath());
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
      walk(folder.status().getPath(), folder.path(), folder.path().toRealPath());
    }
    files.sort(Comparator.comparing(Reached::status));
    Set<java.nio.file.Path> claimed = new HashSet<>();
    for (Reached f : files) {
      java.nio.file.Path real = f.path();
      boolean walkedThere = walked.contains(real.getParent()) && !ImageFiles.hidden(real.getFileName().toString());
      if (walkedThere || !claimed.add(real)) {
        skips.duplicate(qualified(f.status().getPath()));
      } else {
        listed.add(fs, f.status());
      }
    }
  }

  /** Reads the files under {@code folder}, whose real path is {@code real}, unless it was walked already. */
  private void walk(Path folder, java.nio.file.Path local, java.nio.file.Path real) throws IOException {
    if (!walked.add(real)) {
      skips.duplicate(qualified(folder));
      return;
    }
    // Hadoop's path of a child is its folder's and its name as it is: Path.toString writes its URI's decoded path
    String qualified = qualified(folder);
    String prefix = listed.folder(qualified.endsWith("/") ? qualified : qualified + "/");
    for (Name entry : names(local)) {
      String name = entry.name();
      if (ImageFiles.hidden(name)) {
        skips.hidden(prefix + name, name);
        continue;
      }
      if (!entry.readable()) {
        skips.unreadableName(prefix + name);
        continue;
      }
      java.nio.file.Path childLocal = local.resolve(name);
      BasicFileAttributes attributes;
      try {
        attributes = Files.readAttributes(childLocal, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      } catch (IOException e) {
        // as the local file system's File.exists, which is false where the stat fails
        skips.dangling(prefix + name);
        continue;
      }
      if (attributes.isSymbolicLink()) {
        link(child(folder, name), prefix + name, childLocal);
      } else if (attributes.isDirectory()) {
        walk(child(folder, name), childLocal, real.resolve(name));
      } else {
        // as the local file system's status: File.length, and File.lastModified, the time's ms rounded down
        listed.add(prefix, name, attributes.size(), attributes.lastModifiedTime().toInstant().toEpochMilli());
      }
    }
  }

  /**
   * A symbolic link {@code child}, whose qualified path is {@code qualified}: its target, as the local file
   * system's status, which follows links, has it, is walked or read later, unless it is not there (dangling).
   */
  private void link(Path child, String qualified, java.nio.file.Path local) throws IOException {
    FileStatus status;
    try {
      status = fs.getFileStatus(child);
    } catch (FileNotFoundException e) {
      skips.dangling(qualified);
      return;
    }
    if (status.isDirectory()) {
      linked.add(new Reached(status, local));
    } else {
      files.add(new Reached(status, local.toRealPath()));
    }
  }

  /** The Hadoop path of a folder's child, as the local file system's listStatus builds it. */
  private static Path child(Path folder, String name) {
    // a name with a ':' is no URI scheme here
    return new Path(folder, new Path(null, null, name));
  }

  /** The names in a local folder, in order. */
  private static List<Name> names(java.nio.file.Path folder) throws IOException {
    List<Name> names = new ArrayList<>();
    try (DirectoryStream<java.nio.file.Path> children = Files.newDirectoryStream(folder)) {
      for (java.nio.file.Path child : children) {
        String name = child.getFileName().toString();
        names.add(new Name(name, leadsTo(folder, name, child)));
      }
    }
    names.sort(Comparator.comparing(Name::name));
    return names;
  }

  /**
   * A name in a folder, as the JVM decodes its bytes in its file-name encoding ({@code sun.jnu.encoding}, from the
   * locale), and whether that string leads back to the entry. It does not where the bytes are not valid in that
   * encoding: a name in ISO-8859-1 under UTF-8, any name outside ASCII under the C locale. Hadoop's paths are
   * strings, so such a file cannot be opened by p9 nor Spark.
   */
  private record Name(String name, boolean readable) {}

  /**
   * Why a local {@code path} that was not found may be there all the same, or "": it holds a character that the
   * JVM's file-name encoding cannot write (under the C locale's ASCII, any outside ASCII), or U+FFFD, which the JVM
   * puts for each byte of a command-line argument it could not decode.
   */
  static String encodingHint(String path) {
    String encoding = System.getProperty("sun.jnu.encoding", "UTF-8");
    boolean writable;
    try {
      writable = Charset.forName(encoding).newEncoder().canEncode(path);
    } catch (IllegalArgumentException | UnsupportedOperationException e) {
      writable = true;
    }
    if (writable && path.indexOf('\uFFFD') < 0) {
      return "";
    }
    return " (a name in it is not valid in this JVM's file-name encoding, " + encoding + (writable
        ? ": rename it to UTF-8)" : ", which comes from the locale: run in a UTF-8 locale, e.g. LANG=C.UTF-8)");
  }

  /**
   * Whether {@code name}, the decoded name of {@code entry} in {@code folder}, leads back to it. The JVM decodes
   * each byte it cannot with U+FFFD, so only a name holding one is looked at further (one per listed file: the
   * common name costs a scan of its characters, not an encoding of the path).
   */
  private static boolean leadsTo(java.nio.file.Path folder, String name, java.nio.file.Path entry) {
    if (name.indexOf('\uFFFD') < 0) {
      return true;
    }
    try {
      return folder.resolve(name).equals(entry);
    } catch (InvalidPathException e) {
      // a character the encoding cannot write: the C locale's ASCII and a decoded name's U+FFFD
      return false;
    }
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
