package io.p9.spark.cloud;

import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.mapreduce.OutputCommitter;
import org.apache.hadoop.mapreduce.TaskAttemptContext;
import org.apache.hadoop.mapreduce.lib.output.PathOutputCommitter;
import org.apache.hadoop.mapreduce.lib.output.PathOutputCommitterFactory;
import org.apache.spark.internal.io.FileNameSpec;
import org.apache.spark.internal.io.HadoopMapReduceCommitProtocol;
import scala.Option;

/**
 * A Spark SQL commit protocol ({@code spark.sql.sources.commitProtocolClass}) that asks Hadoop's
 * {@link PathOutputCommitterFactory} for the committer of the destination's scheme, so that
 * {@code mapreduce.outputcommitter.factory.scheme.s3a = org.apache.hadoop.fs.s3a.commit.S3ACommitterFactory}
 * gives S3A's magic or staging committer for {@code s3a://} output (and the classic committer elsewhere),
 * for every format, Parquet included. Tasks write into the committer's work path; only job commit makes
 * the files visible, so a failed job leaves no partial output.
 *
 * <p>Spark's own equivalent lives in the {@code spark-hadoop-cloud} module, which is not published to Maven
 * Central; this is p9's. Dynamic partition overwrite is not supported (S3A's committers have their own
 * conflict modes): such a write fails before anything is deleted. Configured by
 * {@code io.p9.aws.s3.S3aSettings}.
 */
public class PathCommitProtocol extends HadoopMapReduceCommitProtocol {
  private static final long serialVersionUID = 1L;

  /** The output folder of the write. */
  private final String destination;
  private transient PathOutputCommitter committer;

  /**
   * The protocol Spark instantiates for a write, by reflection.
   *
   * @param jobId the write job's id
   * @param path the output folder
   * @param dynamicPartitionOverwrite whether Spark asks for dynamic partition overwrite, which is refused
   * @throws UnsupportedOperationException if {@code dynamicPartitionOverwrite} is true
   */
  public PathCommitProtocol(String jobId, String path, boolean dynamicPartitionOverwrite) {
    super(jobId, path, false);
    if (dynamicPartitionOverwrite) {
      // Thrown while Spark instantiates the protocol, before it deletes anything. Static mode is no way out:
      // it deletes every partition of the output, also those the new data has no rows for.
      throw new UnsupportedOperationException("PathCommitProtocol: dynamic partition overwrite"
          + " (partitionOverwriteMode=dynamic) is not supported (S3A's committers cannot replace single"
          + " partitions); nothing was written or deleted. To replace some partitions, write each into its own"
          + " folder (" + path + "/<column>=<value>) with SaveMode.Overwrite, or use Spark's default commit"
          + " protocol (S3aSettings' FILE committer); static mode would delete every partition of the output,"
          + " not only those written");
    }
    this.destination = path;
  }

  /**
   * The protocol for a write without dynamic partition overwrite.
   *
   * @param jobId the write job's id
   * @param path the output folder
   */
  public PathCommitProtocol(String jobId, String path) {
    this(jobId, path, false);
  }

  @Override
  public OutputCommitter setupCommitter(TaskAttemptContext context) {
    try {
      committer = PathOutputCommitterFactory.createCommitter(new Path(destination), context);
      return committer;
    } catch (IOException e) {
      throw new UncheckedIOException("PathCommitProtocol: no committer for " + destination, e);
    }
  }

  @Override
  public String newTaskTempFile(TaskAttemptContext taskContext, Option<String> dir, FileNameSpec spec) {
    Path work;
    try {
      work = committer.getWorkPath();
    } catch (IOException e) {
      throw new UncheckedIOException("PathCommitProtocol: no work path from " + committer, e);
    }
    if (work == null) {
      throw new IllegalStateException("PathCommitProtocol: committer " + committer + " has no work path");
    }
    Path parent = dir.isDefined() ? new Path(work, dir.get()) : work;
    return new Path(parent, getFilename(taskContext, spec)).toString();
  }

  /** {@return the committer of this JVM's task or job (null before set-up): tests look at its class} */
  public PathOutputCommitter committer() {
    return committer;
  }
}
