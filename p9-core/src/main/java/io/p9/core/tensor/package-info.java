/**
 * Tensor layouts and pure helpers on flat {@code float[]} batches: {@link io.p9.core.tensor.TensorLayout}
 * (NCHW or NHWC) and {@link io.p9.core.tensor.Layouts} (layout conversion, slicing one item out of a
 * batch). No native memory and no model code lives here.
 */
package io.p9.core.tensor;
