/**
 * The PCA maths of p9, free of Spark: a one-pass, mergeable, numerically stable covariance accumulator
 * ({@link io.p9.core.linalg.CovarianceAccumulator}, what the Spark PCA stage {@code treeAggregate}s over
 * partitions), the driver-side eigen-decomposition ({@link io.p9.core.linalg.Pca#fit}) into a
 * {@link io.p9.core.linalg.PcaResult} (mean, sorted eigenpairs, explained and cumulative variance, the
 * smallest k reaching a variance target), and the centred projection used per row
 * ({@link io.p9.core.linalg.Pca#project}).
 *
 * <p>Matrices are flat {@code double[]}: the covariance d x d row-major, the components d x k column-major
 * (column j, eigenvector j, at {@code [j * d, (j + 1) * d)}). Dense linear algebra beyond the rank-k update
 * comes from EJML.
 */
package io.p9.core.linalg;
