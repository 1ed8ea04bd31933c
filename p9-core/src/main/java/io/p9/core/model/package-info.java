/**
 * The model SPI ({@link io.p9.core.model.ModelBackend}, {@link io.p9.core.model.FeatureModel}), model
 * identity ({@link io.p9.core.model.ModelBytes}, {@link io.p9.core.model.ModelKey}), the per-JVM
 * {@link io.p9.core.model.ModelCache}, the CPU budget ({@link io.p9.core.model.ThreadBudget}) and the
 * JSON model spec that carries preprocessing with a model ({@link io.p9.core.model.ModelSpec}).
 */
package io.p9.core.model;
