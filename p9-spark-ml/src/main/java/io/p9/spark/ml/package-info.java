/**
 * The Spark ML stages: {@link io.p9.spark.ml.ImageLoader} (files → Spark image struct, label, error),
 * {@link io.p9.spark.ml.CnnFeaturizer} (image → CNN feature vector, one model per executor JVM),
 * {@link io.p9.spark.ml.PcaReducer} / {@link io.p9.spark.ml.PcaReducerModel} (centred PCA, k fixed or by
 * explained variance), and {@link io.p9.spark.ml.ImageFiles} (the input files as rows of Spark's binaryFile
 * schema, zero-byte ones included, listed once and read by p9 itself). The stages compose in a {@code Pipeline}
 * and save/load with format-versioned metadata.
 * {@link io.p9.spark.ml.P9KryoRegistrator} registers with Kryo what they send, and the Spark classes a p9 job
 * meets that Spark leaves unregistered, for {@code spark.kryo.registrationRequired=true}.
 */
package io.p9.spark.ml;
