package io.p9.core.model.onnx;

import io.p9.core.model.FeatureModel;
import io.p9.core.model.ModelBackend;
import io.p9.core.model.ModelBytes;
import io.p9.core.model.ModelOptions;
import java.util.Locale;

/**
 * ONNX Runtime backend: recognises {@code .onnx} files (or ONNX protobuf bytes), edits the graph so the
 * feature tensor is its output ({@link FeatureTensorEdit}) and opens one session. It also takes {@code .ort}
 * files, ONNX Runtime's own format, to refuse them with advice: the graph edit needs the ONNX model.
 */
public final class OnnxBackend implements ModelBackend {

  @Override
  public String name() {
    return "onnx";
  }

  @Override
  public boolean recognizes(String fileName, byte[] head) {
    String n = fileName.toLowerCase(Locale.ROOT);
    if (n.endsWith(".onnx") || n.endsWith(".ort")) {
      return true;
    }
    // ModelProto starts with field 1 (ir_version, varint): tag byte 0x08. Zips (PK) and HDF5 do not.
    return head.length > 1 && head[0] == 0x08 && head[1] > 0 && head[1] < 32;
  }

  @Override
  public FeatureModel load(ModelBytes model, ModelOptions options) {
    return OnnxFeatureModel.open(model, options);
  }
}
