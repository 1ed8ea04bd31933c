package io.p9.examples;

import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.MLReader;

/**
 * A stage the tests save in a pipeline for the job to load ({@code --pipeline}): its uid, its copy and the reader
 * {@code PipelineModel.load} calls. A subclass has a public constructor taking the uid, and says what it computes.
 */
public abstract class SavedTestStage extends Transformer implements DefaultParamsWritable {
  private static final long serialVersionUID = 1L;

  private final String uid;

  protected SavedTestStage(String uid) {
    this.uid = uid;
  }

  /** What PipelineModel.load calls to read a subclass back. */
  public static MLReader<SavedTestStage> read() {
    return new DefaultParamsReader<>();
  }

  @Override
  public String uid() {
    return uid;
  }

  @Override
  public SavedTestStage copy(ParamMap extra) {
    return defaultCopy(extra);
  }
}
