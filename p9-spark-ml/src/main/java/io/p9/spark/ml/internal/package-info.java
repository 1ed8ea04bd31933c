/**
 * Not API: stage persistence (Spark-layout metadata with a p9 format version), schema checks, Hadoop file
 * access, serializable param validators, counters and the executor side of the featurizer.
 */
package io.p9.spark.ml.internal;
