package io.p9.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.p9.aws.RegionPolicy;
import io.p9.aws.s3.S3Location;
import io.p9.aws.s3.S3Store;
import io.p9.aws.testing.S3ProxyServer;
import io.p9.spark.ml.CnnFeaturizer;
import io.p9.spark.ml.ImageFiles;
import io.p9.spark.ml.ImageLoader;
import io.p9.spark.ml.PcaReducer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * A {@code --pipeline} folder on the launcher's machine, uploaded by {@code emr submit} / {@code serverless submit}
 * ({@link JobOptions}) to a real S3-protocol server (S3Proxy in its own JVM on 127.0.0.1): every file lands under
 * the S3 folder the job is given, and the PipelineModel loads from there through S3A and transforms as the local
 * one does.
 */
class PipelineUploadIT {
  @TempDir
  Path dir;

  @Test
  void aLocalPipelineFolderIsUploadedWhereTheJobLoadsIt() throws Exception {
    Path images = dir.resolve("images");
    Fixtures.subset(images, 2, 2);
    Path local = dir.resolve("my pipelines/pipeline-model");
    try (S3ProxyServer server = S3ProxyServer.start(Files.createDirectories(dir.resolve("s3proxy")));
        S3Client s3 = server.setupClient()) {
      server.createBucket("p9-bucket");
      SparkSession.Builder b = SparkSession.builder().master("local[1]").appName("p9-pipeline-upload-it")
          .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
          .config("spark.driver.bindAddress", "127.0.0.1").config("spark.sql.shuffle.partitions", "2");
      Fixtures.s3a(server).applyToSpark(b::config);
      SparkSession spark = b.getOrCreate();
      try {
        Dataset<Row> files = ImageFiles.read(spark, images.toString());
        new Pipeline().setStages(new PipelineStage[] {new ImageLoader(),
            new CnnFeaturizer().setModelLocation(Fixtures.model().toString()), new PcaReducer().setK(2)})
            .fit(files).write().save(local.toString());

        EmrCommands.Submit submit = new EmrCommands.Submit();
        new CommandLine(submit).parseArgs("--bucket", "p9-bucket", "--input", "s3://p9-bucket/in", "--pipeline",
            local.toUri().toString());
        JobOptions job = submit.jobOptions;
        List<String> args = job.runArgs(submit.aws);
        String jobReads = args.get(args.indexOf("--pipeline") + 1);
        assertThat(jobReads).matches("s3://p9-bucket/p9/jars/pipelines/[0-9a-f]{12}/pipeline-model/");
        S3Store store = new S3Store(s3, RegionPolicy.euOnly());
        job.checkBuckets(store, null);
        List<String> progress = new ArrayList<>();
        job.uploadPipeline(store, progress::add);

        S3Location uploaded = S3Location.parse(jobReads);
        List<String> keys = new ArrayList<>();
        for (S3Object o : s3.listObjectsV2Paginator(r -> r.bucket("p9-bucket").prefix(uploaded.key())).contents()) {
          keys.add(o.key().substring(uploaded.key().length()));
        }
        List<String> localFiles;
        try (Stream<Path> s = Files.walk(local)) {
          localFiles = s.filter(Files::isRegularFile).map(f -> local.relativize(f).toString()).toList();
        }
        assertThat(localFiles).contains("metadata/part-00000", "metadata/.part-00000.crc");
        assertThat(keys).containsExactlyInAnyOrderElementsOf(localFiles);
        assertThat(progress).containsExactly("pipeline at " + jobReads + " (" + localFiles.size() + " files)");

        Map<String, double[]> fromS3 = byPath(PipelineModel.load(uploaded.s3aUri()).transform(files));
        Map<String, double[]> fromDisk = byPath(PipelineModel.load(local.toString()).transform(files));
        assertThat(fromS3).hasSize(4);
        fromS3.forEach((p, v) -> assertThat(v).as(p).hasSize(2).containsExactly(fromDisk.get(p), Offset.offset(1e-9)));
      } finally {
        spark.stop();
      }
    }
  }

  /** path → PCA features. */
  private static Map<String, double[]> byPath(Dataset<Row> df) {
    Map<String, double[]> m = new HashMap<>();
    for (Row r : df.select("path", "pcaFeatures").collectAsList()) {
      m.put(r.getString(0), ((Vector) r.get(1)).toArray());
    }
    return m;
  }
}
