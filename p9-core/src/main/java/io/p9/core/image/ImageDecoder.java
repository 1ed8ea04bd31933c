package io.p9.core.image;

/**
 * Decodes encoded image files (JPEG baseline/progressive/CMYK/YCCK, PNG gray/RGBA/palette/16-bit, BMP,
 * GIF, TIFF, WebP) into 8-bit 3-channel BGR {@link PixelImage}s: alpha composited on the configured
 * background, gray expanded to 3 channels, 16-bit reduced to 8, EXIF orientation applied. The header is read
 * first and the image refused with {@link DecodeFailure#TOO_LARGE} if it has more than {@code maxPixels}
 * pixels, so a decompression bomb costs no memory.
 *
 * <p>Not thread-safe: it keeps ImageIO readers for reuse. Use one per thread.
 */
public final class ImageDecoder {
  private final DecodeOptions options;

  public ImageDecoder(DecodeOptions options) {
    this.options = options;
  }

  public DecodeOptions options() {
    return options;
  }

  /** Decodes {@code bytes}; never returns null. */
  public PixelImage decode(byte[] bytes) throws ImageDecodeException {
    throw new UnsupportedOperationException("TODO");
  }
}
