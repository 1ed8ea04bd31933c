package io.p9.examples;

import io.p9.aws.s3.S3aSettings;
import io.p9.aws.testing.S3ProxyServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/** Test data for the S3 and cluster ITs: a small subset of the Fruits-360 sample, uploads to S3Proxy. */
final class Fixtures {
  private Fixtures() {}

  static Path repoRoot() {
    String p = System.getProperty("p9.repo.root");
    Path root = p != null ? Paths.get(p) : Paths.get("").toAbsolutePath().getParent();
    if (!Files.isDirectory(root.resolve("data/fruits360-sample/Training"))) {
      throw new IllegalStateException("no data/fruits360-sample/Training under " + root);
    }
    return root;
  }

  static Path model() {
    return repoRoot().resolve("data/models/mobilenetv2-12-int8.onnx");
  }

  /**
   * Copies the first {@code perVariety} images (by name) of the first {@code varieties} varieties of the
   * repository's sample to {@code dest/Training/<variety>/}; returns the copied files.
   */
  static List<Path> subset(Path dest, int varieties, int perVariety) {
    Path training = repoRoot().resolve("data/fruits360-sample/Training");
    List<Path> out = new ArrayList<>();
    try (Stream<Path> vs = Files.list(training)) {
      for (Path v : vs.filter(Files::isDirectory).sorted().limit(varieties).toList()) {
        try (Stream<Path> fs = Files.list(v)) {
          for (Path f : fs.filter(x -> x.toString().endsWith(".jpg")).sorted().limit(perVariety).toList()) {
            Path t = dest.resolve("Training").resolve(v.getFileName().toString()).resolve(f.getFileName().toString());
            Files.createDirectories(t.getParent());
            out.add(Files.copy(f, t));
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  /** Uploads every file under {@code localRoot} to {@code bucket} under {@code prefix}, same relative paths. */
  static void uploadTree(S3Client s3, Path localRoot, String bucket, String prefix) {
    try (Stream<Path> files = Files.walk(localRoot)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        String key = prefix + localRoot.relativize(f).toString().replace('\\', '/');
        s3.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromFile(f));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@return one blob of random bytes per size in {@code sizes}, in their order, from {@code new Random(seed)}} */
  static List<byte[]> randomBlobs(long seed, int... sizes) {
    Random random = new Random(seed);
    List<byte[]> blobs = new ArrayList<>();
    for (int size : sizes) {
      byte[] b = new byte[size];
      random.nextBytes(b);
      blobs.add(b);
    }
    return blobs;
  }

  /** Closes each of {@code resources} that is not null, in their order (an IT's session, clients, servers). */
  static void closeAll(AutoCloseable... resources) throws Exception {
    for (AutoCloseable c : resources) {
      if (c != null) {
        c.close();
      }
    }
  }

  /** S3A settings for S3Proxy with its static test keys and the magic committer. */
  static S3aSettings s3a(S3ProxyServer server) {
    return s3a(server.endpoint());
  }

  /** S3A settings for S3Proxy's static test keys at {@code endpoint}: S3Proxy's own, or a proxy's before it. */
  static S3aSettings s3a(URI endpoint) {
    return S3aSettings.builder().endpoint(endpoint).pathStyle(true)
        .staticCredentials(S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY, null).build();
  }
}
