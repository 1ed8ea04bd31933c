package io.p9.examples;

import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * A saved stage that reads each row's {@code image} and fails on a row without one, as a user's stage between the
 * loader and the featurizer may (one that augments or filters the images): it adds {@code imageWidth}.
 */
public final class ImageRequiringStage extends SavedTestStage {
  private static final long serialVersionUID = 1L;

  public ImageRequiringStage(String uid) {
    super(uid);
  }

  public ImageRequiringStage() {
    this(Identifiable$.MODULE$.randomUID("imageRequiring"));
  }

  @Override
  public Dataset<Row> transform(Dataset<?> dataset) {
    return dataset.toDF().withColumn("imageWidth", functions.udf((UDF1<Row, Integer>) image -> {
      if (image == null) {
        throw new IllegalStateException("a row without an image");
      }
      return image.getInt(image.fieldIndex("width"));
    }, DataTypes.IntegerType).apply(functions.col("image")));
  }

  @Override
  public StructType transformSchema(StructType schema) {
    return schema.add("imageWidth", DataTypes.IntegerType, true);
  }
}
