package io.p9.core.image;

import java.io.IOException;
import java.util.Objects;
import javax.imageio.stream.ImageInputStreamImpl;

/**
 * An {@code ImageInputStream} over a byte array that is already in memory: no copy, no cache file and no
 * cache buffer (unlike {@code ImageIO.createImageInputStream}, which may spill to a temporary file).
 */
final class BytesImageInputStream extends ImageInputStreamImpl {
  private final byte[] data;

  BytesImageInputStream(byte[] data) {
    this.data = Objects.requireNonNull(data, "data");
  }

  @Override
  public int read() throws IOException {
    checkClosed();
    bitOffset = 0;
    if (streamPos >= data.length) {
      return -1;
    }
    return data[(int) streamPos++] & 0xFF;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    checkClosed();
    Objects.checkFromIndexSize(off, len, b.length);
    bitOffset = 0;
    if (len == 0) {
      return 0;
    }
    if (streamPos >= data.length) {
      return -1;
    }
    int n = (int) Math.min(len, data.length - streamPos);
    System.arraycopy(data, (int) streamPos, b, off, n);
    streamPos += n;
    return n;
  }

  @Override
  public long length() {
    return data.length;
  }

  /**
   * Deliberately empty. {@code ImageInputStreamImpl} (JDK 17) declares a finalizer, which would make the
   * JVM track every one of these short-lived streams (one per decoded file) for finalization; an empty
   * override opts out. There is nothing to release: the stream holds no native or file resources, and
   * {@link ImageDecoder} closes it anyway.
   */
  @Override
  @SuppressWarnings("deprecation")
  protected void finalize() {}
}
