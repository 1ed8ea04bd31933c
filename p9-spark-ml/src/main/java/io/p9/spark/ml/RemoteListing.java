package io.p9.spark.ml;

import java.io.Closeable;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.hadoop.util.functional.FutureIO;

/**
 * The listing of folders on a file system other than the local one (S3A, HDFS, ...) for {@link ImageFiles}: the
 * files below a folder, but those with a {@link ImageFiles#hidden} name below it, each hidden name counted once.
 *
 * <p>On S3A a folder's recursive {@code listFiles} is one flat listing, a page of 1,000 keys per request, one page
 * after another: a million images take a thousand requests of about 100 ms in a row. This listing starts that flat
 * listing and reads its first {@value #SAMPLE} files. Where it ends there (a small collection), that was the
 * listing: one request, as before. Where it goes on, and those first files lie in fewer than {@code concurrency}
 * folders one level down (so that a request per folder lists more files than a flat page would, {@code concurrency}
 * at once), it lists folder by folder instead: each folder's files and folders ({@code listStatus}, on S3A a listing
 * with a delimiter), level by level, up to {@value #MAX_LEVELS} levels down while a level has fewer than
 * {@code concurrency} folders and the first files are in fewer folders there too (a collection under
 * {@code fruits/} with {@code Training/} and {@code Test/} holding the class folders), then each folder of the last
 * level with one recursive {@code listFiles}, up to {@code concurrency} listings at once. Otherwise (the first files
 * spread over many folders, such as a folder per product with a few images each, where a request per folder would
 * take longer) it goes on with the flat listing.
 *
 * <p>It lists the same files and skips the same names as the flat listing: a hidden folder (found by its parent's
 * listing) counts if it holds a file, as the flat listing counts it once it meets one of its files; a folder that
 * its parent's listing shows but that is gone when listed itself lists nothing, as a flat listing a moment later
 * would; any other failure fails the listing. Each listing fills its own entries and skips, which the calling thread
 * adds in the folders' order once it is done. The threads are this listing's, daemons, at most {@code concurrency},
 * started when needed and stopped by {@link #close()}.
 */
final class RemoteListing implements AutoCloseable {
  /** The files of the flat listing read before deciding: S3's LIST page. */
  static final int SAMPLE = 1000;
  /** The most levels below a folder listed a folder at a time before listing each folder of the last flat. */
  static final int MAX_LEVELS = 3;
  /** The start of the listing threads' names. */
  static final String THREAD_NAME = "p9-listing-";

  private final int concurrency;
  private final int sample;
  private ExecutorService pool;

  /**
   * A listing of up to {@code concurrency} folders at once, deciding after {@code sample} files of a flat listing.
   *
   * @param concurrency the most listings at once, at least 1; 1 lists each folder with one flat listing
   * @param sample the files of a folder's flat listing to read before deciding ({@link #SAMPLE}; tests take fewer)
   */
  RemoteListing(int concurrency, int sample) {
    this.concurrency = concurrency;
    this.sample = sample;
  }

  /**
   * Lists the folder {@code root}: adds the files below it to {@code listed}, counts in {@code skips} what it skips.
   *
   * @param fs the file system it is on
   * @param root the folder, as the file system's status of it names it
   * @param listed the listing's entries
   * @param skips the listing's skips
   * @throws IOException if a listing fails
   */
  void folder(FileSystem fs, Path root, ListedFiles listed, ImageFiles.Skips skips) throws IOException {
    RemoteIterator<LocatedFileStatus> it = fs.listFiles(root, true);
    List<LocatedFileStatus> first = new ArrayList<>();
    while (concurrency > 1 && first.size() < sample && it.hasNext()) {
      first.add(it.next());
    }
    int levels = concurrency > 1 && it.hasNext() ? levels(root, first) : 0;
    if (levels == 0) {
      Flat flat = new Flat(fs, root, listed, skips);
      first.forEach(flat::add);
      while (it.hasNext()) {
        flat.add(it.next());
      }
      return;
    }
    if (it instanceof Closeable c) {
      c.close();
    }
    byLevel(fs, root, levels, listed, skips);
  }

  /**
   * How many levels below {@code root} to list a folder at a time: each level where the first files of the flat
   * listing are in fewer than {@link #concurrency} folders, up to {@link #MAX_LEVELS}; 0 to go on flat.
   */
  private int levels(Path root, List<LocatedFileStatus> first) {
    for (int level = 1; level <= MAX_LEVELS; level++) {
      int depth = root.depth() + level;
      Set<Path> folders = new HashSet<>();
      for (LocatedFileStatus f : first) {
        Path p = f.getPath();
        if (p.depth() > depth) {
          while (p.depth() > depth) {
            p = p.getParent();
          }
          folders.add(p);
        }
      }
      if (folders.size() >= concurrency) {
        return level - 1;
      }
    }
    return MAX_LEVELS;
  }

  /**
   * Lists {@code root} a folder at a time, {@code levels} levels down at most, while a level has fewer than
   * {@link #concurrency} folders; then each folder of the last level flat, and each hidden folder met for a file.
   */
  private void byLevel(FileSystem fs, Path root, int levels, ListedFiles listed, ImageFiles.Skips skips)
      throws IOException {
    List<Path> folders = List.of(root);
    List<Callable<Part>> last = new ArrayList<>();
    for (int level = 0; level < levels && !folders.isEmpty() && folders.size() < concurrency; level++) {
      List<Callable<Part>> tasks = new ArrayList<>();
      for (Path folder : folders) {
        tasks.add(() -> children(fs, folder));
      }
      List<Path> next = new ArrayList<>();
      run(tasks, part -> {
        part.addTo(listed, skips);
        next.addAll(part.folders);
        for (Path hidden : part.hiddenFolders) {
          last.add(() -> hiddenFolder(fs, hidden));
        }
      });
      folders = next;
    }
    for (Path folder : folders) {
      last.add(() -> flat(fs, root, folder));
    }
    run(last, part -> part.addTo(listed, skips));
  }

  /** What one listing found: entries and skips, and the folders to list next. One thread fills it, another reads it. */
  private static final class Part {
    private final ListedFiles listed = new ListedFiles();
    private final ImageFiles.Skips skips = new ImageFiles.Skips();
    private final List<Path> folders = new ArrayList<>();
    private final List<Path> hiddenFolders = new ArrayList<>();

    void addTo(ListedFiles allListed, ImageFiles.Skips allSkips) {
      allListed.add(listed);
      allSkips.add(skips);
    }
  }

  /** {@code folder}'s files, hidden files, folders and hidden folders; none if it is gone. */
  private static Part children(FileSystem fs, Path folder) throws IOException {
    Part part = new Part();
    FileStatus[] children;
    try {
      children = fs.listStatus(folder);
    } catch (FileNotFoundException e) {
      return part;
    }
    for (FileStatus c : children) {
      boolean hidden = ImageFiles.hidden(c.getPath().getName());
      if (c.isDirectory()) {
        (hidden ? part.hiddenFolders : part.folders).add(c.getPath());
      } else if (c.isFile() && hidden) {
        part.skips.hidden(fs.makeQualified(c.getPath()).toString(), c.getPath().getName());
      } else if (c.isFile()) {
        part.listed.add(fs, c);
      }
    }
    return part;
  }

  /** The hidden folder {@code folder} counted, if a file is below it. */
  private static Part hiddenFolder(FileSystem fs, Path folder) throws IOException {
    Part part = new Part();
    RemoteIterator<LocatedFileStatus> it = files(fs, folder);
    if (it != null && it.hasNext()) {
      part.skips.hidden(fs.makeQualified(folder).toString(), folder.getName());
    }
    if (it instanceof Closeable c) {
      c.close();
    }
    return part;
  }

  /** The files below {@code folder}, below {@code root}, as the flat listing of {@code root} gives them. */
  private static Part flat(FileSystem fs, Path root, Path folder) throws IOException {
    Part part = new Part();
    RemoteIterator<LocatedFileStatus> it = files(fs, folder);
    Flat flat = new Flat(fs, root, part.listed, part.skips);
    while (it != null && it.hasNext()) {
      flat.add(it.next());
    }
    return part;
  }

  /** {@code folder}'s recursive listing, or null where it is gone. */
  private static RemoteIterator<LocatedFileStatus> files(FileSystem fs, Path folder) throws IOException {
    try {
      return fs.listFiles(folder, true);
    } catch (FileNotFoundException e) {
      return null;
    }
  }

  /**
   * A flat listing's files being added: each visible file, and each hidden name below {@code root} once; the files
   * of a hidden folder come one after another in a flat listing (S3's keys with a prefix are in one run).
   */
  private static final class Flat {
    private final FileSystem fs;
    private final Path root;
    private final ListedFiles listed;
    private final ImageFiles.Skips skips;
    private Path last;

    Flat(FileSystem fs, Path root, ListedFiles listed, ImageFiles.Skips skips) {
      this.fs = fs;
      this.root = root;
      this.listed = listed;
      this.skips = skips;
    }

    void add(LocatedFileStatus f) {
      Path hidden = ImageFiles.hiddenPart(root, f.getPath());
      if (hidden == null) {
        listed.add(fs, f);
      } else if (!hidden.equals(last)) {
        skips.hidden(fs.makeQualified(hidden).toString(), hidden.getName());
        last = hidden;
      }
    }
  }

  /** What the calling thread does with each task's result, in the tasks' order. */
  private interface Merge {
    void add(Part part);
  }

  /**
   * Runs {@code tasks}, up to {@link #concurrency} at once, and hands their results to {@code merge} in their order.
   * The first failure, in that order, fails it, and the tasks not done are cancelled.
   */
  private void run(List<Callable<Part>> tasks, Merge merge) throws IOException {
    if (pool == null) {
      AtomicInteger threads = new AtomicInteger();
      pool = Executors.newFixedThreadPool(concurrency, r -> {
        Thread t = new Thread(r, THREAD_NAME + threads.incrementAndGet());
        t.setDaemon(true);
        return t;
      });
    }
    List<Future<Part>> futures = new ArrayList<>(tasks.size());
    for (Callable<Part> task : tasks) {
      futures.add(pool.submit(task));
    }
    int done = 0;
    try {
      for (Future<Part> f : futures) {
        merge.add(result(f));
        done++;
      }
    } finally {
      for (int i = done; i < futures.size(); i++) {
        futures.get(i).cancel(true);
      }
    }
  }

  /** {@return what the task gave} Its failure is thrown as Hadoop unwraps it: an IOException as it is thrown. */
  private static Part result(Future<Part> task) throws IOException {
    try {
      return task.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while listing");
    } catch (ExecutionException e) {
      return FutureIO.raiseInnerCause(e);
    }
  }

  /** Stops the listing's threads, also those of listings still running where it failed. */
  @Override
  public void close() {
    if (pool != null) {
      pool.shutdownNow();
    }
  }
}
