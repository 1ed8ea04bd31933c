package io.p9.core.image;

import com.drew.imaging.jpeg.JpegMetadataReader;
import com.drew.imaging.tiff.TiffMetadataReader;
import com.drew.imaging.webp.WebpMetadataReader;
import com.drew.lang.ByteArrayReader;
import com.drew.metadata.Metadata;
import com.drew.metadata.exif.ExifIFD0Directory;
import com.drew.metadata.exif.ExifReader;
import java.io.ByteArrayInputStream;
import java.util.Arrays;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The EXIF orientation tag (1..8, TIFF 6.0 / EXIF 2.3 meaning) and its application to BGR pixels.
 *
 * <pre>
 * 1 as stored            2 mirrored left-right     3 rotated 180            4 mirrored top-bottom
 * 5 transposed           6 rotate 90 clockwise     7 transversed            8 rotate 90 counter-clockwise
 * </pre>
 *
 * (the value says how to display the stored pixels, e.g. 6: "turn the stored image 90 degrees clockwise").
 */
final class ExifOrientation {
  private static final Logger LOG = LoggerFactory.getLogger(ExifOrientation.class);
  private static final byte[] EXIF_HEADER = {'E', 'x', 'i', 'f', 0, 0};
  private static final byte[] PNG_EXIF_CHUNK = {'e', 'X', 'I', 'f'};

  private ExifOrientation() {}

  /** The orientation in the file's EXIF data, or 1 when there is none or it cannot be read. */
  static int read(ImageFormat format, byte[] bytes) {
    try {
      Metadata md = switch (format) {
        case JPEG -> hasJpegExif(bytes)
            ? JpegMetadataReader.readMetadata(new ByteArrayInputStream(bytes), List.of(new ExifReader()))
            : null;
        case PNG -> pngExif(bytes);
        case TIFF -> TiffMetadataReader.readMetadata(new ByteArrayReader(bytes));
        case WEBP -> WebpMetadataReader.readMetadata(new ByteArrayInputStream(bytes));
        default -> null;
      };
      if (md == null) {
        return 1;
      }
      for (ExifIFD0Directory dir : md.getDirectoriesOfType(ExifIFD0Directory.class)) {
        Integer o = dir.getInteger(ExifIFD0Directory.TAG_ORIENTATION);
        if (o != null) {
          return o >= 1 && o <= 8 ? o : 1;
        }
      }
      return 1;
    } catch (Exception | StackOverflowError e) {
      // The pixels decoded fine; unreadable metadata only means we cannot honour an orientation.
      LOG.debug("ignoring unreadable EXIF metadata in {} file: {}", format, e.toString());
      return 1;
    }
  }

  /**
   * Whether a JPEG has an APP1 "Exif" segment before its first scan (most photos in datasets have none:
   * skip the metadata parse). A segment chain it cannot follow counts as "maybe" and is left to the parser.
   */
  private static boolean hasJpegExif(byte[] b) {
    JpegSegments.End end = JpegSegments.walk(b,
        (marker, pos, bytes) -> !(marker == 0xE1 && JpegSegments.payloadStartsWith(b, pos, bytes, EXIF_HEADER)));
    return end == JpegSegments.End.STOPPED || end == JpegSegments.End.BROKEN;
  }

  /**
   * The EXIF data of a PNG's eXIf chunk, or null when it has none (most PNGs). Only that chunk is parsed:
   * a PNG metadata parser would also inflate every compressed text and profile chunk in full, whatever its
   * size (a decompression bomb that maxPixels and maxBytes do not see).
   */
  private static Metadata pngExif(byte[] b) throws Exception {
    int pos = 8;
    while (pos + 8 <= b.length) {
      long len = ((b[pos] & 0xFFL) << 24) | ((b[pos + 1] & 0xFFL) << 16) | ((b[pos + 2] & 0xFFL) << 8)
          | (b[pos + 3] & 0xFFL);
      long next = pos + 12L + len;
      if (regionEquals(b, pos + 4, PNG_EXIF_CHUNK)) {
        int from = pos + 8;
        int to = (int) Math.min(b.length, from + len);
        if (regionEquals(b, from, EXIF_HEADER)) {
          from += EXIF_HEADER.length; // some writers keep the JPEG APP1 prefix
        }
        Metadata md = new Metadata();
        new ExifReader().extract(new ByteArrayReader(Arrays.copyOfRange(b, from, Math.max(from, to))), md);
        return md;
      }
      if (next > b.length) {
        return null;
      }
      pos = (int) next;
    }
    return null;
  }

  private static boolean regionEquals(byte[] b, int at, byte[] what) {
    if (at + what.length > b.length) {
      return false;
    }
    for (int i = 0; i < what.length; i++) {
      if (b[at + i] != what[i]) {
        return false;
      }
    }
    return true;
  }

  /** The image as it should be displayed; {@code img} itself for orientation 1. 3-channel input only. */
  static PixelImage apply(PixelImage img, int orientation) {
    if (orientation <= 1 || orientation > 8) {
      return img;
    }
    int w = img.width();
    int h = img.height();
    boolean swap = orientation >= 5;
    int ow = swap ? h : w;
    int oh = swap ? w : h;
    byte[] src = img.data();
    byte[] dst = new byte[src.length];
    int d = 0;
    for (int oy = 0; oy < oh; oy++) {
      for (int ox = 0; ox < ow; ox++) {
        int sx;
        int sy;
        switch (orientation) {
          case 2 -> {
            sx = w - 1 - ox;
            sy = oy;
          }
          case 3 -> {
            sx = w - 1 - ox;
            sy = h - 1 - oy;
          }
          case 4 -> {
            sx = ox;
            sy = h - 1 - oy;
          }
          case 5 -> {
            sx = oy;
            sy = ox;
          }
          case 6 -> {
            sx = oy;
            sy = h - 1 - ox;
          }
          case 7 -> {
            sx = w - 1 - oy;
            sy = h - 1 - ox;
          }
          default -> {
            sx = w - 1 - oy;
            sy = ox;
          }
        }
        int s = (sy * w + sx) * 3;
        dst[d++] = src[s];
        dst[d++] = src[s + 1];
        dst[d++] = src[s + 2];
      }
    }
    return new PixelImage(ow, oh, 3, dst);
  }
}
