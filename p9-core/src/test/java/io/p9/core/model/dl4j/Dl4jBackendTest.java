package io.p9.core.model.dl4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.bytedeco.hdf5.global.hdf5.H5F_ACC_RDWR;
import static org.bytedeco.hdf5.global.hdf5.H5S_SCALAR;

import io.p9.core.model.ModelBackend;
import io.p9.core.model.ModelBackends;
import io.p9.core.model.ModelBytes;
import io.p9.core.model.ModelException;
import io.p9.core.model.ModelOptions;
import io.p9.core.testing.Fixtures;
import io.p9.core.testing.RepoData;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.bytedeco.hdf5.Attribute;
import org.bytedeco.hdf5.DataSpace;
import org.bytedeco.hdf5.H5File;
import org.bytedeco.hdf5.PredType;
import org.bytedeco.hdf5.StrType;
import org.bytedeco.javacpp.BytePointer;
import org.deeplearning4j.nn.modelimport.keras.Hdf5Archive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Dl4jBackendTest {
  final Dl4jBackend backend = new Dl4jBackend();

  static byte[] head(byte[] b) {
    return Arrays.copyOf(b, Math.min(64, b.length));
  }

  static byte[] zip(String... entries) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ZipOutputStream z = new ZipOutputStream(out)) {
      for (String e : entries) {
        z.putNextEntry(new ZipEntry(e));
        z.write("{}".getBytes(StandardCharsets.UTF_8));
        z.closeEntry();
      }
    }
    return out.toByteArray();
  }

  @Test
  void recognisesZipAndHdf5FromTheirFirstBytesWhateverTheName() throws Exception {
    assertThat(backend.recognizes("model.bin", head(Fixtures.bytes("tiny_mnv2.h5")))).isTrue();
    assertThat(backend.recognizes("model.bin", head(zip("configuration.json")))).isTrue();
    assertThat(backend.recognizes("m.h5", new byte[0])).isTrue();
    assertThat(backend.recognizes("m.onnx", head(Fixtures.bytes("tiny_mnv2.onnx")))).isFalse();
    assertThat(backend.recognizes("notes.txt", "hello".getBytes(StandardCharsets.UTF_8))).isFalse();
  }

  @Test
  void autoSelectsDl4jForKerasAndZipFilesAndOnnxForOnnx() throws Exception {
    assertThat(ModelBackends.all()).extracting(ModelBackend::name).containsExactly("onnx", "dl4j");
    assertThat(ModelBackends.select("auto", ModelBytes.of("m", Fixtures.bytes("tiny_seq.h5"))).name())
        .isEqualTo("dl4j");
    assertThat(ModelBackends.select("auto", ModelBytes.of("m.zip", zip("configuration.json"))).name())
        .isEqualTo("dl4j");
    assertThat(ModelBackends.select("auto", ModelBytes.of("m", Fixtures.bytes("tiny_seq.onnx"))).name())
        .isEqualTo("onnx");
    assertThat(ModelBackends.select("DL4J", ModelBytes.of("m", new byte[] {1})).name()).isEqualTo("dl4j");
  }

  @Test
  void theVersionInMessagesIsThePinnedOne() throws Exception {
    Matcher m = Pattern.compile("<dl4j.version>([^<]+)</dl4j.version>")
        .matcher(Files.readString(RepoData.root().resolve("pom.xml")));
    assertThat(m.find()).as("parent POM pins dl4j.version").isTrue();
    assertThat(Dl4jBackend.DL4J_VERSION).isEqualTo(m.group(1));
  }

  @Test
  void aKeras3ArchiveIsRefusedWithAdvice() throws Exception {
    byte[] keras3 = zip("metadata.json", "config.json", "model.weights.h5");
    assertThat(backend.recognizes("m.keras", head(keras3))).isTrue();
    assertThatThrownBy(() -> backend.load(ModelBytes.of("m.keras", keras3), ModelOptions.defaults()))
        .isInstanceOf(ModelException.class).hasMessageContaining("Keras 3 '.keras' archive")
        .hasMessageContaining("model.save('model.h5')");
  }

  /**
   * Keras 3 records its own version in the file ({@code model.save('m.h5')} writes keras_version 3.x), and
   * DL4J 1.0.0-M2.1 refuses every major version but 1 and 2 ("Please file an issue"). tiny_seq.h5 with
   * that one attribute changed stands for such a file.
   */
  @Test
  void aKeras3H5IsRefusedWithAdvice(@TempDir Path tmp) throws Exception {
    Path file = tmp.resolve("keras3.h5");
    Files.write(file, Fixtures.bytes("tiny_seq.h5"));
    synchronized (Hdf5Archive.LOCK_OBJECT) {
      H5File h5 = new H5File(file.toString(), H5F_ACC_RDWR());
      try {
        h5.removeAttr("keras_version");
        StrType type = new StrType(PredType.C_S1(), 5);
        DataSpace scalar = new DataSpace(H5S_SCALAR);
        Attribute a = h5.createAttribute("keras_version", type, scalar);
        a.write(type, new BytePointer("3.6.0"));
        a._close();
      } finally {
        h5._close();
      }
    }
    ModelBytes keras3 = ModelBytes.of("keras3.h5", Files.readAllBytes(file));
    assertThatThrownBy(() -> backend.load(keras3, ModelOptions.defaults())).isInstanceOf(ModelException.class)
        .hasMessageContaining("written by Keras 3.6.0").hasMessageContaining("Keras 1 or 2")
        .hasMessageContaining("tf.keras").hasMessageContaining("onnx backend");
    assertThat(KerasH5.majorVersion("2.4.0")).isEqualTo(2);
    assertThat(KerasH5.majorVersion("10.0")).isEqualTo(10);
    assertThat(KerasH5.majorVersion("dev")).isEqualTo(-1);
  }

  @Test
  void aZipThatIsNotADl4jModelIsRefused() throws Exception {
    assertThatThrownBy(() -> backend.load(ModelBytes.of("data.zip", zip("a.csv", "b.csv")), ModelOptions.defaults()))
        .isInstanceOf(ModelException.class).hasMessageContaining("not a DL4J model")
        .hasMessageContaining("[a.csv, b.csv]");
    assertThatThrownBy(() -> backend.load(ModelBytes.of("x.h5", "not hdf5".getBytes(StandardCharsets.UTF_8)),
        ModelOptions.defaults())).isInstanceOf(ModelException.class).hasMessageContaining("first bytes are 6e6f7420");
  }

  /**
   * An HDF5 file the HDF5 library cannot read (cut short, or damaged after its header) is a model p9 cannot
   * use, refused as such (a ModelException naming the file), not the library's bare RuntimeException.
   */
  @Test
  void aTruncatedOrDamagedH5IsRefusedNamingTheFile() throws Exception {
    byte[] whole = Fixtures.bytes("tiny_seq.h5");
    byte[] damaged = whole.clone();
    for (int i = 2000; i < damaged.length; i += 7) {
      damaged[i] = (byte) 0xAB;
    }
    List<ModelBytes> unreadable = List.of(ModelBytes.of("cut.h5", Arrays.copyOf(whole, 3000)),
        ModelBytes.of("damaged.h5", damaged));
    for (ModelBytes h5 : unreadable) {
      assertThatThrownBy(() -> backend.load(h5, ModelOptions.defaults())).as(h5.name())
          .isInstanceOf(ModelException.class).hasMessageStartingWith(h5.toString())
          .hasMessageContaining("is not a readable HDF5 file");
    }
  }

  @Test
  void aMultiInputModelIsRefused() throws Exception {
    var conf = new org.deeplearning4j.nn.conf.NeuralNetConfiguration.Builder().graphBuilder()
        .addInputs("a", "b")
        .addVertex("merge", new org.deeplearning4j.nn.conf.graph.MergeVertex(), "a", "b")
        .addLayer("out", new org.deeplearning4j.nn.conf.layers.OutputLayer.Builder().nIn(4).nOut(2).build(), "merge")
        .setOutputs("out").build();
    var g = new org.deeplearning4j.nn.graph.ComputationGraph(conf);
    g.init();
    ByteArrayOutputStream zip = new ByteArrayOutputStream();
    org.deeplearning4j.util.ModelSerializer.writeModel(g, zip, false);
    assertThatThrownBy(() -> backend.load(ModelBytes.of("two.zip", zip.toByteArray()), ModelOptions.defaults()))
        .isInstanceOf(ModelException.class).hasMessageContaining("has 2 inputs [a, b]");
  }

  /**
   * p9-core without DL4J on the class path: a class loader over the test class path minus DL4J, ND4J and
   * JavaCPP, delegating only to the JDK. The dl4j backend is still registered and recognises the files;
   * loading one names the missing artifacts and how to add them.
   */
  @Test
  void withoutDl4jOnTheClassPathLoadingNamesTheMissingDependencies() throws Exception {
    List<URL> urls = new ArrayList<>();
    List<String> dropped = new ArrayList<>();
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      if (entry.matches(".*/org/(deeplearning4j|nd4j|bytedeco)/.*")) {
        dropped.add(entry);
      } else {
        urls.add(Path.of(entry).toUri().toURL());
      }
    }
    assertThat(dropped).as("the test class path has DL4J jars to drop").isNotEmpty();
    try (URLClassLoader noDl4j = new URLClassLoader(urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader())) {
      assertThatThrownBy(() -> Class.forName("org.deeplearning4j.nn.graph.ComputationGraph", false, noDl4j))
          .isInstanceOf(ClassNotFoundException.class);
      Class<?> bytesClass = noDl4j.loadClass(ModelBytes.class.getName());
      Class<?> optionsClass = noDl4j.loadClass(ModelOptions.class.getName());
      Method of = bytesClass.getMethod("of", String.class, byte[].class);
      Object options = optionsClass.getMethod("defaults").invoke(null);
      Method select = noDl4j.loadClass(ModelBackends.class.getName()).getMethod("select", String.class, bytesClass);

      Object h5 = of.invoke(null, "mobilenet_v2.h5", Fixtures.bytes("tiny_mnv2.h5"));
      Object b = select.invoke(null, "auto", h5);
      assertThat(b.getClass().getName()).isEqualTo(Dl4jBackend.class.getName());
      assertThat(b.getClass().getClassLoader()).isSameAs(noDl4j);
      Method load = b.getClass().getMethod("load", bytesClass, optionsClass);
      Throwable keras = cause(() -> load.invoke(b, h5, options));
      assertThat(keras.getClass().getName()).isEqualTo(ModelException.class.getName());
      assertThat(keras.getMessage()).contains("Keras model", "mobilenet_v2.h5", "optional dependency of p9-core",
          "Missing: org.deeplearning4j:deeplearning4j-nn", "org.nd4j:nd4j-native",
          "org.deeplearning4j:deeplearning4j-modelimport", "org.bytedeco:hdf5",
          "org.deeplearning4j:deeplearning4j-modelimport:" + Dl4jBackend.DL4J_VERSION,
          "classifier linux-x86_64", "docs/dl4j.md");

      Object dl4jZip = of.invoke(null, "model.zip", zip("configuration.json", "coefficients.bin"));
      Throwable zip = cause(() -> load.invoke(select.invoke(null, "auto", dl4jZip), dl4jZip, options));
      assertThat(zip.getMessage()).contains("DL4J model", "org.deeplearning4j:deeplearning4j-nn:"
          + Dl4jBackend.DL4J_VERSION).doesNotContain("modelimport");

      Object onnx = of.invoke(null, "tiny.onnx", Fixtures.bytes("tiny_seq.onnx"));
      assertThat(select.invoke(null, "auto", onnx).getClass().getSimpleName()).isEqualTo("OnnxBackend");
    }
  }

  /**
   * DL4J and ND4J there but a platform's native jar missing (here openblas' linux-x86_64 classifier; ND4J
   * finds its backend through the context class loader, as on a Spark executor): the message says what did
   * not link and names every native artifact, not only nd4j-native's.
   */
  @Test
  void withoutANativeJarLoadingNamesTheNativesAndWhatDidNotLink() throws Exception {
    List<URL> urls = new ArrayList<>();
    List<String> dropped = new ArrayList<>();
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      if (entry.matches(".*/org/bytedeco/openblas/.*-linux-x86_64\\.jar")) {
        dropped.add(entry);
      } else {
        urls.add(Path.of(entry).toUri().toURL());
      }
    }
    assertThat(dropped).as("the test class path has openblas natives to drop").hasSize(1);
    ClassLoader before = Thread.currentThread().getContextClassLoader();
    try (URLClassLoader noNatives = new URLClassLoader(urls.toArray(URL[]::new),
        ClassLoader.getPlatformClassLoader())) {
      Thread.currentThread().setContextClassLoader(noNatives);
      Class<?> bytesClass = noNatives.loadClass(ModelBytes.class.getName());
      Class<?> optionsClass = noNatives.loadClass(ModelOptions.class.getName());
      Object zip = bytesClass.getMethod("of", String.class, byte[].class)
          .invoke(null, "fruits.zip", Fixtures.bytes("fruits_cnn_dl4j.zip"));
      Object b = noNatives.loadClass(Dl4jBackend.class.getName()).getConstructor().newInstance();
      Method load = b.getClass().getMethod("load", bytesClass, optionsClass);
      Object options = optionsClass.getMethod("defaults").invoke(null);
      for (int attempt = 0; attempt < 2; attempt++) { // the second finds ND4J's class initialisation failed
        Throwable e = cause(() -> load.invoke(b, zip, options));
        assertThat(e.getClass().getName()).isEqualTo(ModelException.class.getName());
        assertThat(e.getMessage()).as("attempt %d", attempt).contains("fruits.zip", "did not link",
            "org.nd4j:nd4j-native:" + Dl4jBackend.DL4J_VERSION, "org.bytedeco:javacpp:1.5.7",
            "org.bytedeco:openblas:0.3.19-1.5.7", "classifier linux-x86_64", "docs/dl4j.md");
        if (attempt == 0) {
          assertThat(e.getMessage()).contains("jniopenblas");
        }
      }
    } finally {
      Thread.currentThread().setContextClassLoader(before);
    }
  }

  interface Call {
    Object call() throws Exception;
  }

  static Throwable cause(Call c) {
    try {
      c.call();
    } catch (InvocationTargetException e) {
      return e.getCause();
    } catch (Exception e) {
      return e;
    }
    throw new AssertionError("expected an exception");
  }
}
