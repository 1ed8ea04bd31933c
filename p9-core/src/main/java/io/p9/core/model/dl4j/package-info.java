/**
 * The Deeplearning4j backend: DL4J model zips ({@code ComputationGraph} and {@code MultiLayerNetwork}, as
 * written by {@code ModelSerializer}) and Keras {@code .h5} files (Sequential and Functional, through DL4J's
 * Keras import). {@link io.p9.core.model.dl4j.Dl4jBackend} is the SPI entry point and touches no DL4J class
 * until a model is loaded, so p9-core works without DL4J (an optional dependency); the rest of the package
 * needs DL4J and ND4J (with the native {@code nd4j-native} backend) on the class path.
 */
package io.p9.core.model.dl4j;
