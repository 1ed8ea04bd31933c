/**
 * The ONNX Runtime backend: the in-memory graph edit that exposes an inner tensor as the output
 * ({@link io.p9.core.model.onnx.FeatureTensorEdit}) and the shared session
 * ({@link io.p9.core.model.onnx.OnnxFeatureModel}).
 */
package io.p9.core.model.onnx;
