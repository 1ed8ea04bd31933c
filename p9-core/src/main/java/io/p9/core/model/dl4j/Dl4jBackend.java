package io.p9.core.model.dl4j;

import io.p9.core.model.FeatureModel;
import io.p9.core.model.ModelBackend;
import io.p9.core.model.ModelBytes;
import io.p9.core.model.ModelException;
import io.p9.core.model.ModelOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Deeplearning4j backend ({@code dl4j}): DL4J model zips and Keras {@code .h5} files. Recognised from the
 * first bytes (zip {@code PK\3\4}, HDF5 {@code \x89HDF\r\n\x1a\n}) or the file name ({@code .zip},
 * {@code .h5}, {@code .hdf5}, {@code .keras}; the last is refused on load with advice).
 *
 * <p>DL4J and ND4J are optional dependencies of p9-core. This class refers to none of their classes, so it
 * is always registered and {@link #recognizes} always works; {@link #load} first checks that they are on
 * the class path and otherwise throws a {@link ModelException} naming the missing artifacts and how to add
 * them. The model itself is {@link Dl4jFeatureModel}.
 */
public final class Dl4jBackend implements ModelBackend {

  /** The Deeplearning4j release p9 is built and tested with (the parent POM's {@code dl4j.version}). */
  public static final String DL4J_VERSION = "1.0.0-M2.1";

  /** A class of each artifact the backend needs, and whether only Keras .h5 files need it. */
  private record Requirement(String artifact, String probeClass, boolean kerasOnly) {}

  private static final List<Requirement> REQUIREMENTS = List.of(
      new Requirement("org.deeplearning4j:deeplearning4j-nn", "org.deeplearning4j.nn.graph.ComputationGraph",
          false),
      new Requirement("org.nd4j:nd4j-native (and its linux-x86_64 natives)",
          "org.nd4j.linalg.cpu.nativecpu.CpuBackend", false),
      new Requirement("org.deeplearning4j:deeplearning4j-modelimport",
          "org.deeplearning4j.nn.modelimport.keras.KerasModel", true),
      new Requirement("org.bytedeco:hdf5", "org.bytedeco.hdf5.H5File", true));

  private static final byte[] ZIP_MAGIC = {'P', 'K', 3, 4};
  private static final byte[] HDF5_MAGIC = {(byte) 0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};

  @Override
  public String name() {
    return "dl4j";
  }

  @Override
  public boolean recognizes(String fileName, byte[] head) {
    if (isZip(head) || isHdf5(head)) {
      return true;
    }
    String n = fileName.toLowerCase(Locale.ROOT);
    return n.endsWith(".zip") || n.endsWith(".h5") || n.endsWith(".hdf5") || n.endsWith(".keras");
  }

  static boolean isZip(byte[] head) {
    return startsWith(head, ZIP_MAGIC);
  }

  static boolean isHdf5(byte[] head) {
    return startsWith(head, HDF5_MAGIC);
  }

  private static boolean startsWith(byte[] head, byte[] magic) {
    if (head.length < magic.length) {
      return false;
    }
    for (int i = 0; i < magic.length; i++) {
      if (head[i] != magic[i]) {
        return false;
      }
    }
    return true;
  }

  @Override
  public FeatureModel load(ModelBytes model, ModelOptions options) {
    boolean keras = isHdf5(model.bytes()) || (!isZip(model.bytes())
        && model.name().toLowerCase(Locale.ROOT).matches(".*\\.(h5|hdf5)$"));
    List<String> missing = missingArtifacts(Dl4jBackend.class.getClassLoader(), keras);
    if (!missing.isEmpty()) {
      throw new ModelException(missingDependencyMessage(model, missing, keras));
    }
    try {
      return Dl4jFeatureModel.open(model, options);
    } catch (LinkageError e) {
      // a DL4J class is there but one it needs is not (a partial or mismatched class path), or ND4J's native
      // libraries for this platform are not (the classifier jars)
      throw new ModelException(model + " needs Deeplearning4j " + DL4J_VERSION + " and its natives, which did not"
          + " link: " + rootCause(e) + ". " + howToAdd(keras), e);
    }
  }

  /** The artifacts among those the backend needs whose classes {@code loader} cannot see. */
  static List<String> missingArtifacts(ClassLoader loader, boolean keras) {
    List<String> missing = new ArrayList<>();
    for (Requirement r : REQUIREMENTS) {
      if (r.kerasOnly() && !keras) {
        continue;
      }
      try {
        Class.forName(r.probeClass(), false, loader);
      } catch (ClassNotFoundException | LinkageError e) {
        missing.add(r.artifact());
      }
    }
    return missing;
  }

  static String missingDependencyMessage(ModelBytes model, List<String> missing, boolean keras) {
    return (keras ? "Keras model " : "DL4J model ") + model + " needs the dl4j backend, but Deeplearning4j is not on"
        + " the class path (it is an optional dependency of p9-core). Missing: " + String.join(", ", missing)
        + ". " + howToAdd(keras);
  }

  /** {@code e} and, if it has one, the innermost cause (e.g. {@code UnsatisfiedLinkError: no jnind4jcpu ...}). */
  static String rootCause(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root == e ? e.toString() : e + " (caused by " + root + ")";
  }

  private static String howToAdd(boolean keras) {
    return "Add to your build: org.deeplearning4j:" + (keras ? "deeplearning4j-modelimport" : "deeplearning4j-nn")
        + ":" + DL4J_VERSION + ", org.nd4j:nd4j-native:" + DL4J_VERSION + ", and with classifier linux-x86_64 (or"
        + " another platform's) org.nd4j:nd4j-native:" + DL4J_VERSION + ", org.bytedeco:javacpp:1.5.7 and"
        + " org.bytedeco:openblas:0.3.19-1.5.7" + (keras ? ", plus org.bytedeco:hdf5:1.12.1-1.5.7 with and without"
        + " the classifier" : "") + "; see docs/dl4j.md in the p9 repository.";
  }
}
