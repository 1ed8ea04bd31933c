package io.p9.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.p9.aws.testing.Processes;
import io.p9.aws.testing.S3ProxyServer;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The shaded job jar submitted the way EMR runs it: Spark's own {@code SparkSubmit} entry point, to a real
 * standalone master and worker on 127.0.0.1 whose executors run in their own JVMs, reading images from and
 * writing results to S3 (S3Proxy) through S3A, with the model bundled in the jar.
 *
 * <p>The cluster's class path ({@code SPARK_HOME/jars}) is what a Spark installation with hadoop-aws
 * provides (Spark, Hadoop, hadoop-aws and its AWS SDK bundle, Scala, Jackson, logging): the test class
 * path minus everything the job jar must bring itself (p9, ONNX Runtime, protobuf, image codecs, EJML,
 * picocli, AWS SDK v2) and minus the test libraries, so a missing or mis-relocated class in the job jar
 * fails this test.
 */
class SparkSubmitIT {
  private static final String BUCKET = "p9-submit";
  /** Class path entries the cluster must not provide: the job jar's own content, and test libraries. */
  private static final List<String> NOT_ON_CLUSTER = List.of("/io/p9/", "/com/microsoft/onnxruntime/",
      "/org/tribuo/", "/com/google/protobuf/", "/com/twelvemonkeys/", "/com/drewnoakes/", "/com/adobe/xmp/",
      "/org/ejml/", "/info/picocli/", "/software/amazon/awssdk/", "/software/amazon/eventstream/",
      "/org/reactivestreams/", "/org/wiremock/", "/org/junit/", "/org/assertj/", "/org/opentest4j/",
      "/org/apiguardian/", "/net/bytebuddy/", "/surefire/", "/failsafe");

  @TempDir
  static Path dir;
  private static S3ProxyServer s3proxy;
  private static S3Client s3;
  private static Path sparkHome;
  private static Process master;
  private static Process worker;
  private static final List<Process> started = new ArrayList<>();
  private static int masterPort;

  @BeforeAll
  static void startCluster() throws Exception {
    Path jobJar = Paths.get(System.getProperty("p9.job.jar", "missing"));
    assertThat(jobJar).as("the job jar (mvn package builds it before the ITs)").isRegularFile();

    s3proxy = S3ProxyServer.start(Files.createDirectories(dir.resolve("s3proxy")));
    s3proxy.createBucket(BUCKET);
    s3 = s3proxy.setupClient();
    Path images = dir.resolve("images");
    Fixtures.subset(images, 6, 5);
    Fixtures.uploadTree(s3, images, BUCKET, "images/");

    sparkHome = Files.createDirectories(dir.resolve("spark-home"));
    Path jars = Files.createDirectories(sparkHome.resolve("jars"));
    int n = 0;
    Path repo = Fixtures.repoRoot().toRealPath();
    for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
      String unix = e.replace('\\', '/');
      if (!e.endsWith(".jar") || NOT_ON_CLUSTER.stream().anyMatch(unix::contains)
          || Paths.get(e).toAbsolutePath().normalize().startsWith(repo)) {
        // not a jar, in the job jar already, a test library, or one of p9's own modules
        continue;
      }
      Path link = jars.resolve(Paths.get(e).getFileName());
      if (!Files.exists(link)) {
        Files.createSymbolicLink(link, Paths.get(e));
        n++;
      }
    }
    assertThat(n).as("Spark's jars").isGreaterThan(100);
    assertThat(jars.resolve("hadoop-aws-3.3.4.jar")).exists();
    Path conf = Files.createDirectories(sparkHome.resolve("conf"));
    Files.writeString(conf.resolve("log4j2.properties"), String.join("\n",
        "rootLogger.level = warn", "rootLogger.appenderRef.stdout.ref = console",
        "appender.console.type = Console", "appender.console.name = console",
        "appender.console.layout.type = PatternLayout", "appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n",
        "logger.p9.name = io.p9", "logger.p9.level = info",
        "logger.deploy.name = org.apache.spark.deploy", "logger.deploy.level = info", ""));

    masterPort = Processes.freePort();
    Path masterLog = dir.resolve("master.log");
    master = spark(List.of("org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port",
        Integer.toString(masterPort), "--webui-port", Integer.toString(Processes.freePort())), "256m", masterLog);
    Processes.await("Spark master", Duration.ofSeconds(90), master, masterLog, () -> Processes.listening(masterPort));
    Path workerLog = dir.resolve("worker.log");
    worker = spark(List.of("org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--cores", "2",
        "--memory", "2g", "--webui-port", Integer.toString(Processes.freePort()), "--work-dir",
        dir.resolve("work").toString(), "spark://127.0.0.1:" + masterPort), "256m", workerLog);
    Processes.await("Spark worker registered", Duration.ofSeconds(90), worker, workerLog,
        () -> Processes.tail(workerLog, 100_000).contains("Successfully registered with master"));
  }

  /** A JVM on the cluster's class path, as Spark's scripts would start it. */
  private static Process spark(List<String> mainAndArgs, String heap, Path log) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(Processes.java(), "-Xmx" + heap));
    cmd.addAll(List.of(System.getProperty("p9.java17.opens", "").trim().split("\\s+")));
    cmd.removeIf(String::isEmpty);
    cmd.addAll(List.of("-cp", sparkHome.resolve("conf") + File.pathSeparator + sparkHome.resolve("jars") + "/*"));
    cmd.addAll(mainAndArgs);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    Map<String, String> env = pb.environment();
    env.put("SPARK_HOME", sparkHome.toString());
    env.put("SPARK_SCALA_VERSION", "2.12");
    env.put("SPARK_LOCAL_IP", "127.0.0.1");
    env.put("SPARK_CONF_DIR", sparkHome.resolve("conf").toString());
    // What an instance role gives on EMR: the default chain finds these on the driver and the executors.
    env.put("AWS_ACCESS_KEY_ID", S3ProxyServer.ACCESS_KEY);
    env.put("AWS_SECRET_ACCESS_KEY", S3ProxyServer.SECRET_KEY);
    env.put("AWS_EC2_METADATA_DISABLED", "true");
    env.remove("AWS_PROFILE");
    env.remove("AWS_SESSION_TOKEN");
    Process p = pb.start();
    started.add(p);
    return p;
  }

  @AfterAll
  static void stopCluster() {
    for (int i = started.size() - 1; i >= 0; i--) {
      Processes.stop(started.get(i));
    }
    if (s3 != null) {
      s3.close();
    }
    if (s3proxy != null) {
      s3proxy.close();
    }
  }

  @Test
  void theJobJarRunsUnderSparkSubmitOnAStandaloneClusterWithS3() throws Exception {
    Path log = dir.resolve("spark-submit.log");
    Process submit = spark(List.of("org.apache.spark.deploy.SparkSubmit",
        "--master", "spark://127.0.0.1:" + masterPort, "--deploy-mode", "client",
        "--class", "io.p9.examples.P9Cli", "--name", "p9-submit-it",
        "--conf", "spark.driver.host=127.0.0.1", "--conf", "spark.driver.bindAddress=127.0.0.1",
        "--conf", "spark.driver.memory=1g", "--conf", "spark.executor.memory=1g", "--conf", "spark.cores.max=2",
        "--conf", "spark.ui.enabled=false", "--conf", "spark.sql.shuffle.partitions=4",
        System.getProperty("p9.job.jar"),
        "run", "--input", "s3a://" + BUCKET + "/images/Training", "--output", "s3a://" + BUCKET + "/out",
        "--k", "5", "--partitions", "2", "--s3-endpoint", s3proxy.endpoint().toString(), "--s3-path-style"),
        "1g", log);
    boolean done = submit.waitFor(8, TimeUnit.MINUTES);
    if (!done) {
      Processes.stop(submit);
    }
    String out = Processes.tail(log, 20_000);
    assertThat(done).as("spark-submit within 8 minutes\n" + out).isTrue();
    assertThat(submit.exitValue()).as("spark-submit exit code\n" + out).isZero();
    assertThat(out).contains("p9 Fruits! job", "files read           30", "featurized           30 (1280-d)",
        "k = 5");

    String report = s3.getObjectAsBytes(b -> b.bucket(BUCKET).key("out/report.json")).asString(StandardCharsets.UTF_8);
    assertThat(report).contains("\"files\" : 30", "\"featurized\" : 30", "\"k\" : 5");
    List<String> keys = s3.listObjectsV2Paginator(b -> b.bucket(BUCKET).prefix("out/")).contents().stream()
        .map(S3Object::key).toList();
    assertThat(keys).anyMatch(k -> k.startsWith("out/features.parquet/part-"))
        .anyMatch(k -> k.startsWith("out/features.csv/part-"))
        .anyMatch(k -> k.startsWith("out/pipeline-model/stages/"))
        .contains("out/features.parquet/_SUCCESS");
    // The executors ran in their own JVMs, started by the worker.
    try (Stream<Path> s = Files.walk(dir.resolve("work"))) {
      List<Path> stderr = s.filter(p -> p.getFileName().toString().equals("stderr")).toList();
      assertThat(stderr).isNotEmpty();
      assertThat(Processes.tail(stderr.get(0), 200_000)).contains("CoarseGrainedExecutorBackend");
    }
  }
}
