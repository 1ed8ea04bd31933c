package io.p9.spark.ml.internal;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.GlobExpander;
import org.apache.hadoop.fs.GlobFilter;
import org.apache.hadoop.fs.Path;

/**
 * Hadoop's {@link FileSystem#globStatus(Path)}, done as Hadoop does it (its {@code Globber}: folder by folder,
 * {@code listStatus} where a part of the pattern has a wildcard, {@code getFileStatus} where it has none, through
 * the {@code FileSystem} API only, so for any file system), but taking each name it meets as a name: Hadoop's glob
 * makes a {@code Path} of each name on the way, which fails for a name holding a ':' ({@code col:on} parses as a
 * URI scheme), both a listed name ({@code /in/*}{@code /*.jpg} over a folder {@code col:on}) and a literal part of
 * the pattern ({@code /in/col:on/*.jpg}). Here a child's path is built from its folder's path and its name, as
 * {@code listStatus} builds it. For all other names the matches are Hadoop's: {@code {a,b}} (also across
 * {@code /}), {@code [abc]}, {@code [^a]}, {@code ?}, {@code *} matching hidden names too, {@code \} escaping.
 */
public final class Glob {
  private Glob() {}

  /**
   * The files and folders {@code pattern} matches on {@code fs}, in path order, as {@code fs.globStatus(pattern)}
   * gives them: null where the pattern has no wildcard nor {@code {}} group and names nothing, empty where its
   * wildcards match nothing. A relative pattern is taken from the working directory.
   *
   * @param fs the file system to match on
   * @param pattern a Hadoop glob
   * @return the matches, in path order; null or empty as above
   * @throws IOException if a status or listing fails, or {@code pattern} is not a valid glob
   */
  public static FileStatus[] matches(FileSystem fs, Path pattern) throws IOException {
    URI uri = pattern.toUri();
    URI fsUri = fs.getUri();
    Path root = new Path(uri.getScheme() != null ? uri.getScheme() : fsUri.getScheme(),
        uri.getAuthority() != null ? uri.getAuthority() : fsUri.getAuthority(), Path.SEPARATOR);
    // {a/b,c} holds a '/': Hadoop globs a/b and c apart
    List<String> flattened = GlobExpander.expand(uri.getPath());
    List<FileStatus> matches = new ArrayList<>();
    boolean wildcard = false;
    for (String flat : flattened) {
      Path p = new Path(flat.isEmpty() ? Path.CUR_DIR : flat);
      List<String> parts = parts((p.isUriPathAbsolute() ? p : new Path(fs.getWorkingDirectory(), p)).toUri());
      FileStatus placeholder = new FileStatus(0, true, 0, 0, 0, root);
      List<FileStatus> candidates = new ArrayList<>(List.of(placeholder));
      for (int i = 0; i < parts.size(); i++) {
        GlobFilter filter = new GlobFilter(parts.get(i));
        wildcard |= filter.hasPattern();
        if (candidates.isEmpty() && wildcard) {
          break;
        }
        candidates = step(fs, candidates, filter, parts.get(i), i == parts.size() - 1);
      }
      for (FileStatus c : candidates) {
        // the root itself, as the pattern "/" names it: its real status
        FileStatus s = c == placeholder ? status(fs, root) : c;
        if (s != null) {
          matches.add(s);
        }
      }
    }
    if (!wildcard && matches.isEmpty() && flattened.size() <= 1) {
      return null;
    }
    FileStatus[] sorted = matches.toArray(new FileStatus[0]);
    Arrays.sort(sorted);
    return sorted;
  }

  /**
   * The candidates one part of the pattern leads to from {@code candidates}: a part without a wildcard is a name
   * below each (not looked at before the last part), one with a wildcard the names it matches in each folder (only
   * folders before the last part).
   */
  private static List<FileStatus> step(FileSystem fs, List<FileStatus> candidates, GlobFilter filter, String part,
      boolean last) throws IOException {
    List<FileStatus> next = new ArrayList<>(candidates.size());
    if (!filter.hasPattern()) {
      Path name = name(part.replaceAll("\\\\(.)", "$1"));
      for (FileStatus c : candidates) {
        if (last) {
          FileStatus s = status(fs, new Path(c.getPath(), name));
          if (s != null) {
            next.add(s);
          }
        } else {
          c.setPath(new Path(c.getPath(), name));
          next.add(c);
        }
      }
      return next;
    }
    for (FileStatus c : candidates) {
      FileStatus[] children = list(fs, c.getPath());
      // a file lists as itself: one entry, which may as well be a folder's only one
      if (children.length == 1) {
        FileStatus s = status(fs, c.getPath());
        if (s == null || !s.isDirectory()) {
          continue;
        }
      }
      for (FileStatus child : children) {
        if (last || child.isDirectory()) {
          child.setPath(new Path(c.getPath(), name(child.getPath().getName())));
          if (filter.accept(child.getPath())) {
            next.add(child);
          }
        }
      }
    }
    return next;
  }

  /** A name as a relative path: {@code new Path("a:b")} would take {@code a} for a URI scheme. */
  private static Path name(String name) {
    return new Path(null, null, name);
  }

  /** The names of an absolute path, the root's none. */
  private static List<String> parts(URI absolute) {
    List<String> parts = new ArrayList<>();
    for (String part : absolute.getPath().split(Path.SEPARATOR)) {
      if (!part.isEmpty()) {
        parts.add(part);
      }
    }
    return parts;
  }

  private static FileStatus status(FileSystem fs, Path path) throws IOException {
    try {
      return fs.getFileStatus(path);
    } catch (FileNotFoundException e) {
      return null;
    }
  }

  private static FileStatus[] list(FileSystem fs, Path path) throws IOException {
    try {
      return fs.listStatus(path);
    } catch (FileNotFoundException e) {
      return new FileStatus[0];
    }
  }
}
