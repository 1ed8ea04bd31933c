package io.p9.spark.ml;

import io.p9.core.linalg.CovarianceAccumulator;
import io.p9.core.linalg.Pca;
import io.p9.spark.ml.internal.SchemaChecks;
import java.io.Serializable;
import java.util.Locale;
import org.apache.spark.ml.attribute.AttributeGroup;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.param.Params;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Params shared by {@link PcaReducer} and {@link PcaReducerModel}, declared once. A holder rather than a
 * base class because the two extend different Spark classes. Serializable, as the stages holding it are.
 */
final class PcaParams implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final double GIB = 1 << 30;

  final Param<String> inputCol;
  final Param<String> outputCol;
  final IntParam k;
  final DoubleParam minExplainedVariance;
  final BooleanParam center;
  final BooleanParam scale;

  PcaParams(Params owner) {
    inputCol = new Param<>(owner, "inputCol", "input vector column");
    outputCol = new Param<>(owner, "outputCol", "output vector column of principal component scores");
    k = new IntParam(owner, "k", "the number of principal components (> 0); set k or minExplainedVariance",
        ParamValidators.gt(0));
    minExplainedVariance = new DoubleParam(owner, "minExplainedVariance",
        "keep the smallest number of components whose cumulative explained variance reaches this (0, 1];"
            + " set k or minExplainedVariance",
        ParamValidators.inRange(0.0, 1.0, false, true));
    center = new BooleanParam(owner, "center", "subtract the mean before projecting");
    scale = new BooleanParam(owner, "scale", "divide each feature by its standard deviation first: PCA of"
        + " the correlation matrix, as StandardScaler(withMean, withStd) in front, but null-safe and in the"
        + " same pass");
  }

  void setDefaults(Params owner) {
    owner.setDefault(inputCol, "features");
    owner.setDefault(outputCol, "pcaFeatures");
    owner.setDefault(center, true);
    owner.setDefault(scale, false);
  }

  /** Fails unless PCA takes vectors of {@code size} values (1 to {@link CovarianceAccumulator#MAX_DIM}). */
  static void requireFittableSize(String where, int size) {
    if (size == 0 || size > CovarianceAccumulator.MAX_DIM) {
      throw new IllegalArgumentException(where + ": vectors of size " + size + "; PCA takes sizes 1 to "
          + CovarianceAccumulator.MAX_DIM);
    }
  }

  /**
   * Fails if the heap of the executor running a fit task ({@code heap}) is below the partial fit the task builds at
   * its first vector ({@link CovarianceAccumulator#triangleBytes}): checked there, before the allocation, so that
   * such a fit fails in its first tasks, naming the memory, rather than in an OutOfMemoryError that loses the
   * executor. A lower bound: tasks running at once on an executor each hold one, and a merge task two.
   */
  static void requireExecutorMemory(String where, int size, long heap) {
    requireHeap(CovarianceAccumulator.triangleBytes(size), heap, "%s: each task of a PCA fit of vectors of size %d"
        + " holds a partial fit of %.1f GiB (the upper triangle of a %d x %d matrix of doubles), but the executor"
        + " running it has %.1f GiB: reduce the vectors first (e.g. a pooled feature tensor) or raise"
        + " spark.executor.memory", where, size);
  }

  /**
   * Fails if the driver's heap ({@code heap}: the d x d covariance is eigen-decomposed there) is below
   * {@link Pca#fitBytes}, which it must hold at once, so that an impossible fit fails before the stages upstream
   * (a CNN) run over the input rather than in an OutOfMemoryError afterwards.
   */
  static void requireDriverMemory(String where, int size, long heap) {
    requireHeap(Pca.fitBytes(size), heap, "%s: a PCA of vectors of size %d needs more than %.1f GiB of driver"
        + " memory (three %d x %d matrices of doubles: the covariance, the eigensolver's copy and its eigenvectors),"
        + " but the driver has %.1f GiB: reduce the vectors first (e.g. a pooled feature tensor) or raise"
        + " spark.driver.memory", where, size);
  }

  /**
   * Fails if {@code need} bytes are above {@code heap}, with {@code format} given where, size, need in GiB, size,
   * size and heap in GiB.
   */
  private static void requireHeap(long need, long heap, String format, String where, int size) {
    if (need > heap) {
      throw new IllegalArgumentException(String.format(Locale.ROOT, format, where, size, need / GIB, size, size,
          heap / GIB));
    }
  }

  /**
   * Checks the params and the input column; the schema with the output column added. {@code dim}: the size the
   * input vectors must have (a fitted model's), or -1 before the fit. {@code size}: the size of the output
   * vectors, recorded in the column's ML attribute group as transform records it, or -1 if unknown before the
   * fit. Where the input column records its size (its ML attribute group, as CnnFeaturizer and VectorAssembler
   * record it), a size PCA cannot take or the driver cannot decompose, a fixed k above it or a size other than
   * {@code dim} fails here, before any row is computed.
   */
  StructType validateAndTransform(Params owner, StructType schema, boolean fitting, int dim, int size) {
    Identifiable id = (Identifiable) owner;
    if (fitting) {
      boolean hasK = owner.isSet(k);
      boolean hasVar = owner.isSet(minExplainedVariance);
      if (hasK == hasVar) {
        throw new IllegalArgumentException(SchemaChecks.name(id) + ": set exactly one of k and "
            + "minExplainedVariance (k " + (hasK ? "is" : "is not") + " set, minExplainedVariance "
            + (hasVar ? "is" : "is not") + " set)");
      }
    }
    String in = owner.$(inputCol);
    SchemaChecks.require(id, schema, in, SQLDataTypes.VectorType());
    int recorded = AttributeGroup.fromStructField(SchemaChecks.field(id, schema, in)).size();
    if (recorded >= 0 && dim >= 0 && recorded != dim) {
      throw new IllegalArgumentException(SchemaChecks.name(id) + ": column '" + in + "' records vectors of size "
          + recorded + ", expected " + dim);
    }
    if (recorded >= 0 && fitting) {
      String where = SchemaChecks.name(id) + ", column '" + in + "'";
      requireFittableSize(where, recorded);
      requireDriverMemory(where, recorded, Runtime.getRuntime().maxMemory());
    }
    if (recorded >= 0 && fitting && owner.isSet(k) && (Integer) owner.$(k) > recorded) {
      throw new IllegalArgumentException(SchemaChecks.name(id) + ": k = " + owner.$(k) + " is larger than the"
          + " input dimension " + recorded + " (the size column '" + in + "' records)");
    }
    SchemaChecks.requireAbsent(id, schema, owner.$(outputCol));
    String out = owner.$(outputCol);
    Metadata meta = size < 0 ? Metadata.empty() : new AttributeGroup(out, size).toMetadata();
    return schema.add(new StructField(out, SQLDataTypes.VectorType(), true, meta));
  }
}
