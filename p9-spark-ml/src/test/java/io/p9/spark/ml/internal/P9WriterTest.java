package io.p9.spark.ml.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;

/** The folder a stage's save replaces, found from the stage path in Spark's pipeline layout. */
class P9WriterTest {

  @Test
  void aStageInAPipelineReplacesTheOutermostPipelinesFolder() {
    assertThat(P9Writer.savedFolder("file:/out/pm/stages/1_cnnFeaturizer_ab12"))
        .isEqualTo(new Path("file:/out/pm"));
    assertThat(P9Writer.savedFolder("s3a://bucket/pm/stages/0_pipeline_cd34/stages/2_cnnFeaturizer_ab12"))
        .isEqualTo(new Path("s3a://bucket/pm"));
  }

  @Test
  void aStageSavedAloneReplacesItsOwnFolder() {
    assertThat(P9Writer.savedFolder("/out/featurizer")).isEqualTo(new Path("/out/featurizer"));
    assertThat(P9Writer.savedFolder("/out/stages")).isEqualTo(new Path("/out/stages"));
  }
}
