/**
 * Image input for the models, without Spark: {@link io.p9.core.image.ImageDecoder} turns encoded files
 * (JPEG, PNG, GIF, BMP, TIFF, WebP) into 8-bit BGR {@link io.p9.core.image.PixelImage}s laid out like
 * Spark's {@code ImageSchema}, with a {@link io.p9.core.image.DecodeFailure} for every file it refuses;
 * {@link io.p9.core.image.Preprocessor} resizes, crops, reorders and normalizes those pixels straight into
 * a model's float input as described by a {@link io.p9.core.image.PreprocessSpec}.
 *
 * <p>Decoders and preprocessors keep reusable state (ImageIO readers, weight tables, scratch rows) and are
 * not thread-safe: use one per thread or partition. The records and enums are immutable.
 */
package io.p9.core.image;
