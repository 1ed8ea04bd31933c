package io.p9.core.image;

import java.awt.image.BufferedImage;
import java.awt.image.DataBuffer;
import java.awt.image.SampleModel;
import java.io.EOFException;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.event.IIOReadWarningListener;
import javax.imageio.spi.IIORegistry;
import javax.imageio.spi.ImageReaderSpi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes encoded image files (JPEG baseline/progressive/CMYK/YCCK, PNG gray/RGBA/palette/16-bit, BMP,
 * GIF (first frame), TIFF, WebP) into 8-bit 3-channel BGR {@link PixelImage}s: alpha composited on the
 * configured background, gray expanded to 3 channels, 16-bit (and 32-bit TIFF) reduced to 8 (signed TIFF
 * samples from their full range), EXIF orientation applied, the first frame of a GIF or an animated WebP placed
 * on its canvas as viewers and PIL show it (the background where the frame does not reach). The header is read
 * first and the image refused with {@link DecodeFailure#TOO_LARGE} if it has more than {@code maxPixels} pixels
 * (for a GIF or an animated WebP, its canvas), so a decompression bomb costs no memory.
 *
 * <p>Outcomes, in the order they are checked:
 * <ul>
 *   <li>null or zero bytes: {@link DecodeFailure#EMPTY};
 *   <li>more than {@code maxBytes}: {@link DecodeFailure#TOO_LARGE};
 *   <li>no known signature ({@link ImageFormat#sniff}; the file name is never consulted):
 *       {@link DecodeFailure#NOT_AN_IMAGE};
 *   <li>a recognised format without an installed ImageIO reader (HEIF/HEIC and AVIF, unless a plugin for
 *       them is on the class path): {@link DecodeFailure#UNSUPPORTED_FORMAT};
 *   <li>header announcing more than {@code maxPixels} pixels, or more than fit in one Java array as BGR
 *       (715,827,879, whatever {@code maxPixels} says), or a TIFF raster of more than 16 bytes a pixel for
 *       {@code maxPixels} pixels (many samples per pixel): {@link DecodeFailure#TOO_LARGE}; a BMP colour
 *       table longer than the file, or a PNG image whose compressed data (IDAT) could not hold it (deflate
 *       gives back at most 1032 bytes a byte): {@code CORRUPT} ({@code TRUNCATED} if the file is shorter than
 *       its header says);
 *   <li>the reader fails, or warns that data ends early or is corrupt (readers otherwise fill the missing
 *       part with gray and return normally): {@link DecodeFailure#TRUNCATED} when the data ends before the
 *       image does (an end-of-file error, a reader reading on past the end of the data thousands of times,
 *       as the lossless WebP reader does to make up the missing pixels, a "premature end" / "missing EOI"
 *       warning, a file whose format-level end marker is missing, or a TIFF whose first directory lies past
 *       its end), else
 *       {@link DecodeFailure#CORRUPT}. Every other exception or error from a reader, except
 *       {@link OutOfMemoryError}, is reported as {@code CORRUPT} too;
 *   <li>a WebP shorter than its RIFF header says, or a lossless one (simple format) whose stream the reader
 *       used past the end of the data, even one the reader decoded (a cut lossless stream decodes without
 *       complaint, the missing pixels made up): {@link DecodeFailure#TRUNCATED}.
 * </ul>
 * Warnings a reader recovers from (an invalid ICC profile it ignores, stray bytes between JPEG segments, or
 * padding between a scan's data and EOI) do not fail the file; they are logged at debug level. libjpeg gives the
 * same warning of extraneous bytes for bytes inserted inside the scan data, whose later blocks it then decodes
 * wrong: after that warning, and only then, the scans of a sequential Huffman JPEG (SOF0/SOF1) are walked strictly
 * ({@link SequentialScans}: every code valid and within its block, then only 1-bit fill and 0x00 or 0xFF padding
 * up to the next marker), and the file is {@link DecodeFailure#CORRUPT} if they fail. Bytes inserted where libjpeg
 * gives no warning (most insertions into a small photo) still decode wrong, as in PIL and OpenCV, and so do those
 * in a progressive JPEG (not checked). A 32-bit BI_RGB BMP with a V3/V4/V5 header that TwelveMonkeys' reader
 * refuses (it wants colour masks there) is read again by the JDK's; it is {@code CORRUPT} only if both fail.
 *
 * <p>RGB and gray samples are used as stored (no ICC colour management, as PIL and OpenCV: a gray or
 * colour JPEG's or a WebP's embedded ICC profile is ignored), palette entries through the palette,
 * CMYK/YCCK JPEG through the reader's conversion (with the file's embedded profile, if any). A plain
 * colour JPEG takes a fast path: the reader's BGR raster becomes the {@code PixelImage} without a
 * per-pixel copy. A progressive JPEG is first rewritten as a baseline one with the same coefficients
 * ({@link ProgressiveJpeg}: the same pixels; the JDK's reader would otherwise decode the whole image once per
 * scan); one that cannot be rewritten exactly is read as it is.
 *
 * <p>Not thread-safe: it keeps ImageIO readers for reuse. Use one per thread.
 */
public final class ImageDecoder {
  private static final Logger LOG = LoggerFactory.getLogger(ImageDecoder.class);
  private static volatile boolean pluginsRescanned;
  private static volatile boolean ownReadersRegistered;
  /**
   * How far past the end of a whole lossless WebP stream TwelveMonkeys' reader reads: its bit reader holds the 8
   * bytes from the one whose bits it is using, and reads the next when it moves on. Reading further means it used
   * bits that the file does not hold (the reader then makes up pixels instead of failing).
   */
  private static final int VP8L_LOOKAHEAD = 8;
  /** The most pixels a {@link PixelImage} can hold: 3 bytes each, in one array (the JDK's size limit). */
  static final long MAX_BGR_PIXELS = (Integer.MAX_VALUE - 8) / 3;

  private final DecodeOptions options;
  private final Map<ImageFormat, ImageReader> readers = new EnumMap<>(ImageFormat.class);
  private final Warnings warnings = new Warnings();
  /** The JDK's JPEG reader, tried first for JPEGs (fast path). */
  private ImageReader jdkJpeg;
  /** Whether a progressive JPEG is read as its baseline transcode ({@link ProgressiveJpeg}); off in some tests. */
  private final boolean transcodeProgressive;

  /**
   * A decoder with the given limits and conversions.
   *
   * @param options the limits and conversions
   * @throws NullPointerException if {@code options} is null
   */
  public ImageDecoder(DecodeOptions options) {
    this(options, true);
  }

  /** A decoder that reads progressive JPEGs as they are if {@code transcodeProgressive} is false (for tests). */
  ImageDecoder(DecodeOptions options, boolean transcodeProgressive) {
    this.options = Objects.requireNonNull(options, "options");
    this.transcodeProgressive = transcodeProgressive;
    this.jdkJpeg = createJdkJpegReader();
    if (jdkJpeg != null) {
      jdkJpeg.addIIOReadWarningListener(warnings);
    }
  }

  /** A decoder with {@link DecodeOptions#defaults()}. */
  public ImageDecoder() {
    this(DecodeOptions.defaults());
  }

  /** {@return the limits and conversions this decoder applies} */
  public DecodeOptions options() {
    return options;
  }

  /**
   * {@return the format announced by the leading bytes; same as {@link ImageFormat#sniff(byte[])}}
   *
   * @param bytes an encoded file, or its first bytes
   */
  public static ImageFormat sniff(byte[] bytes) {
    return ImageFormat.sniff(bytes);
  }

  /**
   * Decodes {@code bytes}, in the order of checks the class comment lists.
   *
   * @param bytes an encoded file
   * @return its pixels, 8-bit 3-channel BGR; never null
   * @throws ImageDecodeException if the file produced no image; its {@link ImageDecodeException#reason()} says
   *     why
   */
  public PixelImage decode(byte[] bytes) throws ImageDecodeException {
    if (bytes == null || bytes.length == 0) {
      throw new ImageDecodeException(DecodeFailure.EMPTY, "empty file (0 bytes)");
    }
    if (bytes.length > options.maxBytes()) {
      throw new ImageDecodeException(DecodeFailure.TOO_LARGE, "file has " + bytes.length
          + " bytes, more than maxBytes=" + options.maxBytes());
    }
    ImageFormat format = ImageFormat.sniff(bytes);
    if (format == ImageFormat.UNKNOWN) {
      throw new ImageDecodeException(DecodeFailure.NOT_AN_IMAGE, "not a JPEG, PNG, GIF, BMP, TIFF or WebP "
          + "file (first bytes: " + hexPrefix(bytes) + ")");
    }
    try {
      return decodeKnown(format, bytes);
    } catch (ImageDecodeException | OutOfMemoryError e) {
      throw e;
    } catch (Exception | Error e) {
      throw failure(format, bytes, e);
    }
  }

  private PixelImage decodeKnown(ImageFormat format, byte[] bytes) throws Exception {
    // Both JPEG readers would convert a gray or colour JPEG with an embedded ICC profile to sRGB (slowly), and
    // the WebP reader a WebP with one: without the profile (JPEG) or its flag (WebP) they return the samples
    // as stored. The GIF reader would decode stale bytes after a short first data sub-block. Failures still
    // name the file as given.
    byte[] data = switch (format) {
      case JPEG -> JpegIccSegments.strip(bytes);
      case WEBP -> WebpIccFlag.clear(bytes);
      case GIF -> GifDataBlocks.repack(bytes);
      default -> bytes;
    };
    boolean tablesDefined = format != ImageFormat.JPEG || JpegTables.defined(data);
    if (!tablesDefined) {
      // The JDK reader would decode it through tables left from an earlier file; new readers refuse it.
      resetJdkJpeg();
      discard(format);
    }
    if (format == ImageFormat.JPEG && jdkJpeg != null) {
      // Fast path: the JDK's own (native libjpeg) reader, without TwelveMonkeys' segment parsing in Java.
      // Anything it cannot do cleanly (CMYK/YCCK, odd markers, corrupt or truncated data) is decoded again
      // by the full reader below, so outcomes and messages for such files are the full reader's. A progressive
      // JPEG is read as the baseline one with the same coefficients, where it can be made (the same pixels, in
      // one pass instead of one per scan); where not, or where the JDK's reader does not take that cleanly, the
      // original is read as it is.
      byte[] baseline = transcodeProgressive && tablesDefined && ProgressiveJpeg.progressive(data)
          ? ProgressiveJpeg.toBaseline(data, Math.min(options.maxPixels(), ProgressiveJpeg.MAX_TRANSCODED_PIXELS))
          : null;
      PixelImage fast = baseline == null ? null : tryJdkJpeg(baseline);
      if (fast == null) {
        fast = tryJdkJpeg(data);
      }
      if (fast != null) {
        return fast;
      }
    }
    ImageReader reader = reader(format);
    if (reader == null) {
      throw new ImageDecodeException(DecodeFailure.UNSUPPORTED_FORMAT, "no ImageIO reader for " + format
          + " is installed (format name '" + format.imageIoName() + "')");
    }
    BufferedImage image;
    try {
      image = read(format, reader, data, true);
    } catch (ImageDecodeException | OutOfMemoryError e) {
      throw e;
    } catch (Exception | Error e) {
      ImageDecodeException f = failure(format, bytes, e);
      PixelImage rescued = f.reason() == DecodeFailure.CORRUPT && format == ImageFormat.BMP
          && EncodedStructure.bmp32BiRgbWithMaskFields(data) ? tryJdkBmp(data) : null;
      if (rescued != null) {
        return rescued;
      }
      throw f;
    }
    if (warnings.failure != null) {
      throw failure(format, bytes, null);
    }
    if (format == ImageFormat.WEBP && EncodedStructure.looksTruncated(format, bytes)) {
      // The lossless (VP8L) reader returns normally from a cut stream, the missing pixels made up; libwebp
      // refuses a file shorter than its RIFF header says, and so do we.
      throw new ImageDecodeException(DecodeFailure.TRUNCATED, "truncated WEBP (" + bytes.length
          + " bytes): the data ends before the image does; its RIFF header announces "
          + EncodedStructure.riffLength(bytes) + " bytes");
    }
    return finish(format, data, image);
  }

  /**
   * The JDK's BMP reader's image of a 32-bit BI_RGB BMP with a V3/V4/V5 header that TwelveMonkeys' reader
   * refused, or null if it fails or warns too. TwelveMonkeys rejects those whose (unused) colour masks are
   * zero; the JDK reader decodes them. Only that kind of file is retried: the JDK reader is laxer with
   * damaged headers. Rare, so the reader is made for the file and disposed.
   */
  private PixelImage tryJdkBmp(byte[] bytes) {
    ImageReader jdk = createJdkReader("bmp");
    if (jdk == null) {
      return null;
    }
    try {
      jdk.addIIOReadWarningListener(warnings);
      BufferedImage image = read(ImageFormat.BMP, jdk, bytes, false);
      return warnings.failure == null ? finish(ImageFormat.BMP, bytes, image) : null;
    } catch (OutOfMemoryError e) {
      throw e;
    } catch (Exception | Error e) {
      return null;
    } finally {
      jdk.dispose();
    }
  }

  /** The JDK reader's result, or null when the full reader should decide. */
  private PixelImage tryJdkJpeg(byte[] bytes) throws ImageDecodeException {
    BufferedImage image;
    try {
      image = read(ImageFormat.JPEG, jdkJpeg, bytes, false);
    } catch (ImageDecodeException e) {
      throw e;
    } catch (Exception | Error e) {
      if (e instanceof OutOfMemoryError oom) {
        throw oom;
      }
      resetJdkJpeg();
      return null;
    }
    int type = image.getType();
    if (warnings.failure != null
        || (type != BufferedImage.TYPE_3BYTE_BGR && type != BufferedImage.TYPE_BYTE_GRAY)) {
      return null; // colour models the JDK reader maps its own way go through the full reader
    }
    return finish(ImageFormat.JPEG, bytes, image);
  }

  /**
   * Header check, then pixels. A cached reader is discarded after it threw or a warning aborted it (an abort
   * request outlives the read in TwelveMonkeys' readers, which never clear it: the next file would stop early).
   */
  private BufferedImage read(ImageFormat format, ImageReader reader, byte[] bytes, boolean cached)
      throws Exception {
    warnings.clear();
    boolean readerBroken = true;
    boolean lossless = format == ImageFormat.WEBP && EncodedStructure.webpSimpleLossless(bytes);
    try (BytesImageInputStream in = new BytesImageInputStream(bytes, lossless ? VP8L_LOOKAHEAD * 2 : 0)) {
      reader.setInput(in, false, true);
      int width = reader.getWidth(0);
      int height = reader.getHeight(0);
      if (width <= 0 || height <= 0) {
        readerBroken = false;
        throw new ImageDecodeException(DecodeFailure.CORRUPT, format + " header gives an empty image size "
            + width + "x" + height);
      }
      FrameCanvas canvas = FrameCanvas.of(format, bytes, width, height);
      width = canvas.width();
      height = canvas.height();
      long pixels = (long) width * height;
      if (pixels > options.maxPixels() || pixels > MAX_BGR_PIXELS) {
        readerBroken = false;
        throw new ImageDecodeException(DecodeFailure.TOO_LARGE, format + " header announces " + width + "x"
            + height + " = " + pixels + " pixels, more than " + (pixels > options.maxPixels()
                ? "maxPixels=" + options.maxPixels()
                : MAX_BGR_PIXELS + ", the most whose BGR bytes fit in one Java array"));
      }
      try {
        checkHeaderAllocations(format, reader, bytes, pixels);
      } catch (ImageDecodeException e) {
        readerBroken = false;
        throw e;
      }
      BufferedImage image = reader.read(0, null);
      readerBroken = false;
      if (format == ImageFormat.JPEG && warnings.strayBytes != null && warnings.failure == null) {
        warnings.checkScanData(bytes);
      }
      if (in.readPastEnd() > VP8L_LOOKAHEAD && !EncodedStructure.looksTruncated(format, bytes)) {
        // (a file shorter than its RIFF header says is refused after the read, naming what the header says)
        throw new ImageDecodeException(DecodeFailure.TRUNCATED, "truncated WEBP (" + bytes.length + " bytes): the "
            + "lossless stream ends before the image does (the reader read " + in.readPastEnd() + " bytes past "
            + "the end of the data, " + VP8L_LOOKAHEAD + " at most for a whole stream)");
      }
      return image;
    } finally {
      if ((readerBroken || warnings.failure != null) && cached) {
        discard(format);
      } else if (!readerBroken) {
        reader.setInput(null);
      }
    }
  }

  /**
   * Refuses what a reader would allocate from the header before it reads any pixel, beyond what maxPixels
   * stands for: a BMP colour table longer than the file, a PNG image more than its compressed data can hold, a
   * TIFF SamplesPerPixel over 65535 (CORRUPT), a TIFF raster of more than 16 bytes (4 samples of 32 bits) for
   * each of maxPixels pixels.
   */
  private void checkHeaderAllocations(ImageFormat format, ImageReader reader, byte[] bytes, long pixels)
      throws Exception {
    long entries = format == ImageFormat.BMP ? EncodedStructure.bmpColourTableBeyondEnd(bytes) : 0;
    if (entries > 0) {
      throw new ImageDecodeException(EncodedStructure.looksTruncated(format, bytes) ? DecodeFailure.TRUNCATED
          : DecodeFailure.CORRUPT, "BMP header announces a colour table of " + entries + " entries, more than the "
          + bytes.length + "-byte file holds");
    }
    long pngSamples = format == ImageFormat.PNG ? EncodedStructure.pngSamplesBeyondData(bytes) : 0;
    if (pngSamples > 0) {
      throw new ImageDecodeException(EncodedStructure.looksTruncated(format, bytes) ? DecodeFailure.TRUNCATED
          : DecodeFailure.CORRUPT, "PNG header announces " + reader.getWidth(0) + "x" + reader.getHeight(0)
          + " pixels, " + pngSamples + " bytes of samples, more than the " + bytes.length + "-byte file's"
          + " compressed data can hold (deflate gives back at most " + EncodedStructure.DEFLATE_MAX_RATIO
          + " bytes a byte)");
    }
    long samples = format == ImageFormat.TIFF ? EncodedStructure.tiffSamplesPerPixel(bytes) : -1;
    if (samples > 0xFFFF) {
      throw new ImageDecodeException(DecodeFailure.CORRUPT, "TIFF header gives " + samples
          + " samples per pixel, more than its 16-bit field holds");
    }
    ImageTypeSpecifier type = format == ImageFormat.TIFF ? reader.getRawImageType(0) : null;
    if (type != null) {
      SampleModel model = type.getSampleModel(1, 1);
      long bits = (long) model.getNumBands() * DataBuffer.getDataTypeSize(model.getDataType());
      long limit = Math.min(options.maxPixels() * 16, Integer.MAX_VALUE - 8L);
      if (pixels * bits / 8 > limit) {
        throw new ImageDecodeException(DecodeFailure.TOO_LARGE, "TIFF header announces " + reader.getWidth(0)
            + "x" + reader.getHeight(0) + " pixels of " + model.getNumBands() + " samples of "
            + DataBuffer.getDataTypeSize(model.getDataType()) + " bits, " + pixels * bits / 8 + " bytes, more than "
            + limit + " (maxPixels=" + options.maxPixels() + " pixels of 16 bytes, in one Java array)");
      }
    }
  }

  private PixelImage finish(ImageFormat format, byte[] bytes, BufferedImage image) {
    if (format == ImageFormat.PNG) {
      image = PngGrayTransparency.apply(bytes, image);
    }
    boolean premultiplied = format == ImageFormat.TIFF && EncodedStructure.tiffAlphaIsAssociated(bytes);
    boolean signed = format == ImageFormat.TIFF && EncodedStructure.tiffSamplesAreSigned(bytes);
    PixelImage bgr = BgrImages.toBgr(image, options.background(), premultiplied, signed);
    bgr = FrameCanvas.of(format, bytes, bgr.width(), bgr.height()).place(bgr, options.background());
    if (options.applyExifOrientation()) {
      int orientation = ExifOrientation.read(format, bytes);
      if (orientation != 1) {
        bgr = ExifOrientation.apply(bgr, orientation);
      }
    }
    return bgr;
  }

  private void resetJdkJpeg() {
    try {
      jdkJpeg.dispose();
    } catch (RuntimeException e) {
      LOG.debug("ignoring failure disposing the JDK JPEG reader: {}", e.toString());
    }
    jdkJpeg = createJdkJpegReader();
    if (jdkJpeg != null) {
      jdkJpeg.addIIOReadWarningListener(warnings);
    }
  }

  /** The JDK's built-in JPEG reader, or null if this JVM has none. */
  private static ImageReader createJdkJpegReader() {
    return createJdkReader("jpeg");
  }

  /** The JDK's built-in reader for the format, or null if this JVM has none. */
  private static ImageReader createJdkReader(String formatName) {
    Iterator<ImageReaderSpi> it = IIORegistry.getDefaultInstance().getServiceProviders(ImageReaderSpi.class,
        p -> p instanceof ImageReaderSpi spi && supports(spi, formatName)
            && spi.getClass().getName().startsWith("com.sun.imageio."), true);
    try {
      return it.hasNext() ? it.next().createReaderInstance() : null;
    } catch (java.io.IOException e) {
      return null;
    }
  }

  /** A failure from the reader's exception and/or the warnings it gave, as TRUNCATED or CORRUPT. */
  private ImageDecodeException failure(ImageFormat format, byte[] bytes, Throwable error) {
    boolean truncated = warnings.failure == DecodeFailure.TRUNCATED
        || endsEarly(error)
        || EncodedStructure.looksTruncated(format, bytes);
    StringBuilder detail = new StringBuilder();
    if (warnings.message != null) {
      detail.append("reader warning: ").append(warnings.message);
    }
    if (format == ImageFormat.WEBP && EncodedStructure.looksTruncated(format, bytes)) {
      detail.append(detail.length() == 0 ? "" : "; ").append("its RIFF header announces ")
          .append(EncodedStructure.riffLength(bytes)).append(" bytes");
    }
    for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
      detail.append(detail.length() == 0 ? "" : "; ");
      detail.append(t.getMessage() == null ? t.getClass().getName() : t.getClass().getSimpleName() + ": "
          + t.getMessage());
    }
    String message = truncated
        ? "truncated " + format + " (" + bytes.length + " bytes): the data ends before the image does; "
            + detail
        : "corrupt " + format + " (" + bytes.length + " bytes): " + detail;
    return new ImageDecodeException(truncated ? DecodeFailure.TRUNCATED : DecodeFailure.CORRUPT, message,
        error);
  }

  private static boolean endsEarly(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof EOFException || Warnings.classify(t.getMessage()) == DecodeFailure.TRUNCATED) {
        return true;
      }
    }
    return false;
  }

  private ImageReader reader(ImageFormat format) {
    ImageReader reader = readers.get(format);
    if (reader == null) {
      reader = createReader(format.imageIoName());
      if (reader == null && !pluginsRescanned) {
        // Plugins on a class loader that ImageIO has not scanned yet (jars added to a running JVM).
        pluginsRescanned = true;
        ImageIO.scanForPlugins();
        reader = createReader(format.imageIoName());
      }
      if (reader != null) {
        reader.addIIOReadWarningListener(warnings);
        readers.put(format, reader);
      }
    }
    return reader;
  }

  /** Drops a reader that threw: its state is unknown. The next file gets a fresh one. */
  private void discard(ImageFormat format) {
    ImageReader reader = readers.remove(format);
    if (reader != null) {
      try {
        reader.dispose();
      } catch (RuntimeException e) {
        LOG.debug("ignoring failure disposing a {} reader: {}", format, e.toString());
      }
    }
  }

  /**
   * The registered reader for the format; TwelveMonkeys' when there is one (CMYK/YCCK JPEG, more TIFF and
   * BMP variants), otherwise the JDK's. Only the chosen provider is instantiated.
   */
  private static ImageReader createReader(String formatName) {
    registerOwnReaders();
    Iterator<ImageReaderSpi> it = IIORegistry.getDefaultInstance().getServiceProviders(ImageReaderSpi.class,
        p -> p instanceof ImageReaderSpi spi && supports(spi, formatName), true);
    ImageReaderSpi chosen = null;
    while (it.hasNext()) {
      ImageReaderSpi spi = it.next();
      if (chosen == null || spi.getClass().getName().startsWith("com.twelvemonkeys.")
          && !chosen.getClass().getName().startsWith("com.twelvemonkeys.")) {
        chosen = spi;
      }
    }
    if (chosen == null) {
      return null;
    }
    try {
      return chosen.createReaderInstance();
    } catch (java.io.IOException e) {
      LOG.warn("cannot create an ImageIO reader for {} from {}: {}", formatName, chosen.getClass().getName(),
          e.toString());
      return null;
    }
  }

  /**
   * Registers the readers that this class's own loader sees (TwelveMonkeys', p9-core's dependencies) with
   * ImageIO's registry, once. ImageIO fills its registry from the thread context class loader when it is
   * first used; if that was before p9 was on it (a jar added to a running Spark executor or notebook after
   * something else used ImageIO), the JDK's JPEG, TIFF and BMP readers would be the only ones, and CMYK
   * JPEGs would decode to wrong colours. Rescanning when a format has no reader at all does not catch that.
   */
  private static void registerOwnReaders() {
    if (ownReadersRegistered) {
      return;
    }
    synchronized (ImageDecoder.class) {
      if (ownReadersRegistered) {
        return;
      }
      IIORegistry registry = IIORegistry.getDefaultInstance();
      Iterator<ImageReaderSpi> it = ServiceLoader.load(ImageReaderSpi.class, ImageDecoder.class.getClassLoader())
          .iterator();
      while (true) {
        try {
          if (!it.hasNext()) {
            break;
          }
          ImageReaderSpi spi = it.next();
          if (registry.getServiceProviderByClass(spi.getClass()) == null) {
            registry.registerServiceProvider(spi, ImageReaderSpi.class);
          }
        } catch (ServiceConfigurationError e) {
          LOG.debug("ignoring an ImageIO reader that cannot be loaded: {}", e.toString());
        }
      }
      ownReadersRegistered = true;
    }
  }

  private static boolean supports(ImageReaderSpi spi, String formatName) {
    for (String name : spi.getFormatNames()) {
      if (name.equalsIgnoreCase(formatName)) {
        return true;
      }
    }
    return false;
  }

  private static String hexPrefix(byte[] bytes) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < Math.min(8, bytes.length); i++) {
      sb.append(i == 0 ? "" : " ").append(String.format(Locale.ROOT, "%02x", bytes[i] & 0xFF));
    }
    return sb.toString();
  }

  /**
   * Collects reader warnings for the current file. The first one that signals lost or damaged data is
   * kept and the read aborted (the reader would otherwise fill the rest of the image with gray).
   */
  static final class Warnings implements IIOReadWarningListener {
    /** libjpeg's warning of bytes it skipped before a marker, lower case. */
    private static final String EXTRANEOUS = "extraneous bytes before marker";
    DecodeFailure failure;
    String message;
    /** The last warning of extraneous bytes that did not fail the file; the scan data are checked after the read. */
    String strayBytes;

    void clear() {
      failure = null;
      message = null;
      strayBytes = null;
    }

    @Override
    public void warningOccurred(ImageReader source, String warning) {
      DecodeFailure f = classify(warning);
      if (f == null) {
        LOG.debug("ImageIO reader recovered: {}", warning);
        if (warning != null && warning.toLowerCase(Locale.ROOT).contains(EXTRANEOUS)) {
          strayBytes = warning;
        }
        return;
      }
      if (failure == null || failure == DecodeFailure.CORRUPT && f == DecodeFailure.TRUNCATED) {
        failure = f;
        message = warning;
      }
      source.abort();
    }

    /**
     * After libjpeg warned of extraneous bytes, and decoded the JPEG: {@link DecodeFailure#CORRUPT} if they were
     * inside a sequential Huffman scan's data rather than padding after it or stray bytes between segments
     * ({@link SequentialScans}).
     */
    void checkScanData(byte[] jpeg) {
      String damage = SequentialScans.damage(jpeg);
      if (damage != null) {
        failure = DecodeFailure.CORRUPT;
        message = strayBytes + "; " + damage;
      }
    }

    /**
     * TRUNCATED, CORRUPT, or null for a warning the reader recovers from without losing pixels, or that the scan
     * data are checked for ({@link #checkScanData}).
     */
    static DecodeFailure classify(String warning) {
      if (warning == null) {
        return null;
      }
      String w = warning.toLowerCase(Locale.ROOT);
      if (w.contains(EXTRANEOUS)) {
        // Stray bytes between segments, or after a scan's data (an encoder's padding before EOI): nothing is lost.
        // Bytes inserted inside the scan data, whose later blocks then decode wrong, give the same warning: the
        // scan data are checked after the read. Before a restart marker (0xd0..0xd7) the bytes are entropy-coded
        // data that the decoder had to skip.
        return w.matches(".*marker 0xd[0-7].*") ? DecodeFailure.CORRUPT : null;
      }
      if (w.contains("ignor")) {
        return null; // "invalid ICC profile; ignored" and the like: the reader carried on without loss
      }
      if (w.contains("corrupt") || w.contains("bogus") || w.contains("huffman") || w.contains("bad ")
          || w.contains("damaged")) {
        // Includes libjpeg's "Corrupt JPEG data: premature end of data segment": a marker where scan data
        // should be, in a file that may well be complete.
        return DecodeFailure.CORRUPT;
      }
      if (w.contains("premature end") || w.contains("truncated") || w.contains("missing eoi")
          || w.contains("unexpected end") || w.contains("end of file")) {
        return DecodeFailure.TRUNCATED;
      }
      if (w.contains("invalid")) {
        return DecodeFailure.CORRUPT;
      }
      return null;
    }
  }
}
