package io.p9.core.image;

import java.io.IOException;
import java.util.Arrays;
import java.util.Objects;
import javax.imageio.stream.ImageInputStreamImpl;

/**
 * An {@code ImageInputStream} over a byte array that is already in memory: no copy, no cache file and no
 * cache buffer (unlike {@code ImageIO.createImageInputStream}, which may spill to a temporary file).
 *
 * <p>Reads at the end return -1 (an {@code EOFException} from the {@code readXxx} methods) up to
 * {@link #READS_PAST_END} times; after that they throw an {@code IOException} that is not an
 * {@code EOFException}. TwelveMonkeys' lossless WebP reader catches each {@code EOFException} and carries on,
 * making up the missing pixels one exception at a time: a 65-byte file announcing 336,000 pixels ran for
 * minutes. A reader that stops at the end meets it a few times at most.
 *
 * <p>A stream can be given zero bytes past the end of the data, which reads find before they find the end, and
 * tells how far past the end they went ({@link #readPastEnd}): {@link ImageDecoder} uses that to see a lossless
 * WebP reader using bits that the data does not hold.
 */
final class BytesImageInputStream extends ImageInputStreamImpl {
  /** How often a read may find the end before the stream stops answering with end-of-file. */
  static final int READS_PAST_END = 4096;

  private final byte[] data;
  /** Where reads find the end: the end of the data plus the zero bytes after it. */
  private final long end;
  private int readsPastEnd;
  /** The furthest position read up to. */
  private long furthest;

  BytesImageInputStream(byte[] data) {
    this(data, 0);
  }

  /** A stream of {@code data} then {@code zerosPastEnd} zero bytes; {@link #length()} is the data's. */
  BytesImageInputStream(byte[] data, int zerosPastEnd) {
    this.data = Objects.requireNonNull(data, "data");
    this.end = data.length + (long) zerosPastEnd;
  }

  @Override
  public int read() throws IOException {
    checkClosed();
    bitOffset = 0;
    if (streamPos >= end) {
      return pastEnd();
    }
    int b = streamPos < data.length ? data[(int) streamPos] & 0xFF : 0;
    furthest = Math.max(furthest, ++streamPos);
    return b;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    checkClosed();
    Objects.checkFromIndexSize(off, len, b.length);
    bitOffset = 0;
    if (len == 0) {
      return 0;
    }
    if (streamPos >= end) {
      return pastEnd();
    }
    int n = (int) Math.min(len, end - streamPos);
    int fromData = (int) Math.max(0, Math.min(n, data.length - streamPos));
    System.arraycopy(data, (int) Math.min(streamPos, data.length), b, off, fromData);
    Arrays.fill(b, off + fromData, off + n, (byte) 0);
    streamPos += n;
    furthest = Math.max(furthest, streamPos);
    return n;
  }

  /** How many bytes past the end of the data reads went (into the zeros after it); 0 if they stayed within it. */
  long readPastEnd() {
    return Math.max(0, furthest - data.length);
  }

  /** -1, or once the end has been met {@link #READS_PAST_END} times, an IOException (see the class comment). */
  private int pastEnd() throws IOException {
    if (++readsPastEnd > READS_PAST_END) {
      throw new IOException("unexpected end of file: read past the end of the " + data.length + " bytes "
          + READS_PAST_END + " times; the reader does not stop there");
    }
    return -1;
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
