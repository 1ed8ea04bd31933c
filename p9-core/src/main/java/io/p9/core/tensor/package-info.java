/**
 * Tensor layouts and pure helpers on flat {@code float[]} batches: {@link io.p9.core.tensor.TensorLayout}
 * (NCHW or NHWC), {@link io.p9.core.tensor.ElementType} (the element type of a model's image input) and
 * {@link io.p9.core.tensor.Layouts} (layout conversion, slicing one item out of a batch), and
 * {@link io.p9.core.tensor.FloatBufferPool}, the per-JVM pool of the direct buffers batches are packed into.
 * No model code lives here.
 */
package io.p9.core.tensor;
