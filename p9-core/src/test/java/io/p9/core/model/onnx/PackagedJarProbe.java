package io.p9.core.model.onnx;

import java.nio.file.Files;
import java.nio.file.Paths;

/**
 * Run by {@link PackagedJarIT} in a JVM of its own, on a class path it builds: edits the ONNX graph of the model
 * file {@code args[0]} as {@code CnnFeaturizer} does when it opens a model, and prints what the edit found.
 */
public final class PackagedJarProbe {
  private PackagedJarProbe() {}

  public static void main(String[] args) throws Exception {
    byte[] model = Files.readAllBytes(Paths.get(args[0]));
    FeatureTensorEdit.Result r = FeatureTensorEdit.expose(model, FeatureTensorEdit.autoFeatureTensor(model));
    System.out.println("edited source=" + r.sourceTensor() + " output=" + r.outputName()
        + " quantized=" + r.quantized());
  }
}
