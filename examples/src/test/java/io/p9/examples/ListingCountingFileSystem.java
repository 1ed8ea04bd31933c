package io.p9.examples;

import java.io.IOException;
import java.net.URI;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;

/**
 * The local file system under the scheme {@value #SCHEME}, counting the folders it lists: a test's way to
 * see how often a job lists its input (the local file system keeps no statistics of its own). Register it
 * with {@code fs.p9count.impl}; paths are {@code p9count:/local/path}. Not being {@code file:}, it is listed
 * the way object stores are (one recursive {@code listFiles}).
 */
public final class ListingCountingFileSystem extends RawLocalFileSystem {
  static final String SCHEME = "p9count";
  private static final Map<String, Integer> LISTED = new TreeMap<>();

  /** Folder (qualified path) → times listed, since the last {@link #reset}. */
  static synchronized Map<String, Integer> listed() {
    return new TreeMap<>(LISTED);
  }

  static synchronized void reset() {
    LISTED.clear();
  }

  @Override
  public URI getUri() {
    return URI.create(SCHEME + ":///");
  }

  @Override
  public String getScheme() {
    return SCHEME;
  }

  @Override
  public FileStatus[] listStatus(Path f) throws IOException {
    FileStatus[] children = super.listStatus(f);
    if (getFileStatus(f).isDirectory()) {
      synchronized (ListingCountingFileSystem.class) {
        LISTED.merge(makeQualified(f).toString(), 1, Integer::sum);
      }
    }
    for (int i = 0; i < children.length; i++) {
      children[i] = plain(children[i]);
    }
    return children;
  }

  @Override
  public FileStatus getFileStatus(Path f) throws IOException {
    return plain(super.getFileStatus(f));
  }

  /** The local file system's own statuses read their permissions through a {@code file:} URI. */
  private static FileStatus plain(FileStatus s) {
    return new FileStatus(s.getLen(), s.isDirectory(), s.getReplication(), s.getBlockSize(),
        s.getModificationTime(), s.getPath());
  }
}
