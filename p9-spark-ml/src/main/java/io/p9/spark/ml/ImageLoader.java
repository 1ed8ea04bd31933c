package io.p9.spark.ml;

import io.p9.core.image.DecodeOptions;
import io.p9.core.image.ImageDecodeException;
import io.p9.core.image.ImageDecoder;
import io.p9.core.image.PixelImage;
import io.p9.spark.ml.internal.CountsAccumulator;
import io.p9.spark.ml.internal.P9Reader;
import io.p9.spark.ml.internal.P9Writer;
import io.p9.spark.ml.internal.SchemaChecks;
import io.p9.spark.ml.internal.Validators;
import java.io.Serializable;
import java.text.Normalizer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.image.ImageSchema;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.api.java.UDF2;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Decodes image files into Spark's image struct and labels them from their path.
 *
 * <p>Input: the columns of {@code spark.read.format("binaryFile")}: {@code path} (string) and
 * {@code content} (binary). Output, added to the input columns:
 *
 * <ul>
 *   <li>{@code image}: {@link ImageSchema#columnSchema()} (origin, height, width, nChannels, mode, data), the
 *       same fields and BGR byte order as {@code spark.read.format("image")}; always 3 channels (gray
 *       expanded, alpha composited on {@code background}, EXIF orientation applied);
 *   <li>{@code label}: the parent folder of the file (Fruits-360: the variety; null for a file at the root,
 *       {@code s3a://bucket/x.jpg} included), or the first group of
 *       {@code labelPattern} found in the path; null if the pattern does not match. The path is taken as
 *       it is, not URL-decoded ({@code binaryFile} and {@link ImageFiles} give {@code /in/Apple Red/100%.jpg});
 *       the label is in Unicode NFC, so that a folder name written in NFD (macOS) is the same label;
 *   <li>{@code error}: null, or {@code REASON: message} for a file that could not be decoded ({@code errorCol}
 *       empty: no such column; the reasons are still counted in {@link #metrics()}).
 * </ul>
 *
 * <p>{@code handleInvalid}: {@code error} (default) fails the job naming the file and the reason;
 * {@code skip} drops the row and counts it; {@code keep} keeps it with a null image and the reason. Every
 * outcome is counted in {@link #metrics()}. Files larger than {@code maxPixels} (read from the header before
 * any pixel is decoded) fail with {@code TOO_LARGE}.
 *
 * <p>Row-wise: works on streaming DataFrames. Stateless: saving writes params only.
 */
public final class ImageLoader extends Transformer implements MLWritable {
  private static final long serialVersionUID = 1L;

  /** The stage's unique id. */
  private final String uid;
  /** The param {@link #inputCol()}. */
  private final Param<String> inputCol;
  /** The param {@link #pathCol()}. */
  private final Param<String> pathCol;
  /** The param {@link #outputCol()}. */
  private final Param<String> outputCol;
  /** The param {@link #labelCol()}. */
  private final Param<String> labelCol;
  /** The param {@link #labelPattern()}. */
  private final Param<String> labelPattern;
  /** The param {@link #errorCol()}. */
  private final Param<String> errorCol;
  /** The param {@link #handleInvalid()}. */
  private final Param<String> handleInvalid;
  /** The param {@link #maxPixels()}. */
  private final LongParam maxPixels;
  /** The param {@link #background()}. */
  private final Param<String> background;
  /** The param {@link #exifOrientation()}. */
  private final BooleanParam exifOrientation;
  private transient ImageLoadMetrics metrics;

  /** A stage with a random uid ({@code imageLoader_...}) and the default params. */
  public ImageLoader() {
    this(Identifiable.randomUID("imageLoader"));
  }

  /**
   * A stage with the default params.
   *
   * @param uid its unique id
   */
  public ImageLoader(String uid) {
    this.uid = uid;
    inputCol = new Param<>(this, "inputCol", "binary column with the encoded file");
    pathCol = new Param<>(this, "pathCol", "string column with the file path (origin and label)");
    outputCol = new Param<>(this, "outputCol", "output image column (Spark image struct)");
    labelCol = new Param<>(this, "labelCol", "output label column; empty for none");
    labelPattern = new Param<>(this, "labelPattern",
        "regex whose first group (or whole match) in the path is the label; empty: the parent folder name",
        Validators.of(ImageLoader::validRegex));
    errorCol = new Param<>(this, "errorCol",
        "output column with the failure reason (null when decoded); empty for none");
    handleInvalid = new Param<>(this, "handleInvalid",
        "what to do with files that cannot be decoded: error (fail), skip (drop) or keep (null image)",
        ParamValidators.inArray(new String[] {"error", "skip", "keep"}));
    maxPixels = new LongParam(this, "maxPixels",
        "largest width*height decoded, checked from the header first (> 0)", ParamValidators.gt(0));
    background = new Param<>(this, "background",
        "RGB colour transparent pixels are composited onto, as #RRGGBB",
        Validators.of(ImageLoader::validColour));
    exifOrientation = new BooleanParam(this, "exifOrientation", "apply the EXIF orientation tag");
    setDefault(inputCol, "content");
    setDefault(pathCol, "path");
    setDefault(outputCol, "image");
    setDefault(labelCol, "label");
    setDefault(labelPattern, "");
    setDefault(errorCol, "error");
    setDefault(handleInvalid, "error");
    setDefault(maxPixels, DecodeOptions.DEFAULT_MAX_PIXELS);
    setDefault(background, "#FFFFFF");
    setDefault(exifOrientation, true);
  }

  private static boolean validRegex(String s) {
    try {
      Pattern.compile(s);
      return true;
    } catch (RuntimeException e) {
      return false;
    }
  }

  private static boolean validColour(String s) {
    return s.matches("#[0-9a-fA-F]{6}");
  }

  @Override
  public String uid() {
    return uid;
  }

  /** {@return the param {@code inputCol}: the binary column with the encoded file (default {@code content})} */
  public Param<String> inputCol() {
    return inputCol;
  }

  /**
   * {@return the param {@code pathCol}: the string column with the file path (the image origin, and where the label is
   * read from) (default {@code path})}
   */
  public Param<String> pathCol() {
    return pathCol;
  }

  /** {@return the param {@code outputCol}: the output image column (Spark image struct) (default {@code image})} */
  public Param<String> outputCol() {
    return outputCol;
  }

  /** {@return the param {@code labelCol}: the output label column, empty for none (default {@code label})} */
  public Param<String> labelCol() {
    return labelCol;
  }

  /**
   * {@return the param {@code labelPattern}: the regular expression whose first group (or whole match) in the path is
   * the label; empty for the parent folder name (default empty)}
   */
  public Param<String> labelPattern() {
    return labelPattern;
  }

  /**
   * {@return the param {@code errorCol}: the output column with the failure reason ({@code REASON: message}, null when
   * decoded), empty for none (default {@code error})}
   */
  public Param<String> errorCol() {
    return errorCol;
  }

  /**
   * {@return the param {@code handleInvalid}: what happens to files that cannot be decoded: {@code error} (fail),
   * {@code skip} (drop) or {@code keep} (null image) (default {@code error})}
   */
  public Param<String> handleInvalid() {
    return handleInvalid;
  }

  /**
   * {@return the param {@code maxPixels}: the largest width x height decoded, checked from the header before any pixel
   * is decoded (default 50,000,000)}
   */
  public LongParam maxPixels() {
    return maxPixels;
  }

  /**
   * {@return the param {@code background}: the RGB colour that transparent pixels are composited onto, as
   * {@code #RRGGBB} (default {@code #FFFFFF})}
   */
  public Param<String> background() {
    return background;
  }

  /** {@return the param {@code exifOrientation}: whether the EXIF orientation tag is applied (default {@code true})} */
  public BooleanParam exifOrientation() {
    return exifOrientation;
  }

  /** {@return the binary column with the encoded file (default {@code content})} */
  public String getInputCol() {
    return $(inputCol);
  }

  /**
   * Sets the binary column with the encoded file.
   *
   * @param v a binary column of the input
   * @return this stage
   */
  public ImageLoader setInputCol(String v) {
    set(inputCol, v);
    return this;
  }

  /**
   * {@return the string column with the file path (the image origin, and where the label is read from) (default
   * {@code path})}
   */
  public String getPathCol() {
    return $(pathCol);
  }

  /**
   * Sets the string column with the file path (the image origin, and where the label is read from).
   *
   * @param v a string column of the input
   * @return this stage
   */
  public ImageLoader setPathCol(String v) {
    set(pathCol, v);
    return this;
  }

  /** {@return the output image column (Spark image struct) (default {@code image})} */
  public String getOutputCol() {
    return $(outputCol);
  }

  /**
   * Sets the output image column (Spark image struct).
   *
   * @param v a column name the input does not have
   * @return this stage
   */
  public ImageLoader setOutputCol(String v) {
    set(outputCol, v);
    return this;
  }

  /** {@return the output label column, empty for none (default {@code label})} */
  public String getLabelCol() {
    return $(labelCol);
  }

  /**
   * Sets the output label column, empty for none.
   *
   * @param v a column name the input does not have, or empty
   * @return this stage
   */
  public ImageLoader setLabelCol(String v) {
    set(labelCol, v);
    return this;
  }

  /**
   * {@return the regular expression whose first group (or whole match) in the path is the label; empty for the parent
   * folder name (default empty)}
   */
  public String getLabelPattern() {
    return $(labelPattern);
  }

  /**
   * Sets the regular expression whose first group (or whole match) in the path is the label; empty for the parent
   * folder name.
   *
   * @param v a regular expression, or empty
   * @return this stage
   */
  public ImageLoader setLabelPattern(String v) {
    set(labelPattern, v);
    return this;
  }

  /**
   * {@return the output column with the failure reason ({@code REASON: message}, null when decoded), empty for none
   * (default {@code error})}
   */
  public String getErrorCol() {
    return $(errorCol);
  }

  /**
   * Sets the output column with the failure reason ({@code REASON: message}, null when decoded), empty for none.
   *
   * @param v a column name the input does not have, or empty
   * @return this stage
   */
  public ImageLoader setErrorCol(String v) {
    set(errorCol, v);
    return this;
  }

  /**
   * {@return what happens to files that cannot be decoded: {@code error} (fail), {@code skip} (drop) or {@code keep}
   * (null image) (default {@code error})}
   */
  public String getHandleInvalid() {
    return $(handleInvalid);
  }

  /**
   * Sets what happens to files that cannot be decoded: {@code error} (fail), {@code skip} (drop) or {@code keep} (null
   * image).
   *
   * @param v {@code error}, {@code skip} or {@code keep}
   * @return this stage
   */
  public ImageLoader setHandleInvalid(String v) {
    set(handleInvalid, v);
    return this;
  }

  /**
   * {@return the largest width x height decoded, checked from the header before any pixel is decoded (default
   * 50,000,000)}
   */
  public long getMaxPixels() {
    return (Long) $(maxPixels);
  }

  /**
   * Sets the largest width x height decoded, checked from the header before any pixel is decoded.
   *
   * @param v the pixels (&gt; 0)
   * @return this stage
   */
  public ImageLoader setMaxPixels(long v) {
    set(maxPixels, v);
    return this;
  }

  /**
   * {@return the RGB colour that transparent pixels are composited onto, as {@code #RRGGBB} (default {@code #FFFFFF})}
   */
  public String getBackground() {
    return $(background);
  }

  /**
   * Sets the RGB colour that transparent pixels are composited onto, as {@code #RRGGBB}.
   *
   * @param v a colour as {@code #RRGGBB}
   * @return this stage
   */
  public ImageLoader setBackground(String v) {
    set(background, v);
    return this;
  }

  /** {@return whether the EXIF orientation tag is applied (default {@code true})} */
  public boolean getExifOrientation() {
    return (Boolean) $(exifOrientation);
  }

  /**
   * Sets whether the EXIF orientation tag is applied.
   *
   * @param v whether to apply it
   * @return this stage
   */
  public ImageLoader setExifOrientation(boolean v) {
    set(exifOrientation, v);
    return this;
  }

  /**
   * {@return the counters of the most recent {@link #transform} of this stage (null before the first one)} They
   * are this stage's own: {@code transform(dataset, paramMap)} runs a copy of the stage, which keeps the counters
   * (to read them, transform with {@code c = copy(paramMap)} and ask {@code c}); and of two transforms started at
   * once on one stage, this gives the later one's, so give each thread a copy of its own.
   */
  public ImageLoadMetrics metrics() {
    return metrics;
  }

  @Override
  public StructType transformSchema(StructType schema) {
    SchemaChecks.require(this, schema, getInputCol(), DataTypes.BinaryType);
    SchemaChecks.require(this, schema, getPathCol(), DataTypes.StringType);
    SchemaChecks.requireNewColumns(this, schema, outputColumns());
    StructType out = schema.add(new StructField(getOutputCol(), ImageSchema.columnSchema(), true,
        org.apache.spark.sql.types.Metadata.empty()));
    if (!getLabelCol().isEmpty()) {
      out = out.add(getLabelCol(), DataTypes.StringType, true);
    }
    return getErrorCol().isEmpty() ? out : out.add(getErrorCol(), DataTypes.StringType, true);
  }

  private java.util.List<String> outputColumns() {
    java.util.List<String> cols = new java.util.ArrayList<>(java.util.List.of(getOutputCol()));
    if (!getErrorCol().isEmpty()) {
      cols.add(getErrorCol());
    }
    if (!getLabelCol().isEmpty()) {
      cols.add(getLabelCol());
    }
    return cols;
  }

  @Override
  public Dataset<Row> transform(Dataset<?> dataset) {
    transformSchema(dataset.schema());
    CountsAccumulator acc = new CountsAccumulator();
    dataset.sparkSession().sparkContext().register(acc, SchemaChecks.name(this) + " counts");
    metrics = new ImageLoadMetrics(acc);

    DecodeOptions options = DecodeOptions.defaults().withMaxPixels(getMaxPixels())
        .withBackground(Integer.parseInt(getBackground().substring(1), 16))
        .withExifOrientation(getExifOrientation());
    StructType decodedType = new StructType()
        .add("image", ImageSchema.columnSchema(), true)
        .add("error", DataTypes.StringType, true);
    UserDefinedFunction decode = functions.udf(
        new DecodeFunction(options, getHandleInvalid(), acc), decodedType).asNondeterministic();
    String tmp = "__p9_decoded_" + uid;
    Column decoded = SchemaChecks.column(tmp);
    Dataset<Row> df = dataset.toDF().withColumn(tmp,
        decode.apply(SchemaChecks.column(getPathCol()), SchemaChecks.column(getInputCol())));
    if ("skip".equals(getHandleInvalid())) {
      df = df.filter(decoded.getField("error").isNull());
    }
    df = df.withColumn(getOutputCol(), decoded.getField("image"));
    if (!getLabelCol().isEmpty()) {
      UserDefinedFunction label = functions.udf(new LabelFunction(getLabelPattern()), DataTypes.StringType);
      df = df.withColumn(getLabelCol(), label.apply(SchemaChecks.column(getPathCol())));
    }
    return (getErrorCol().isEmpty() ? df : df.withColumn(getErrorCol(), decoded.getField("error"))).drop(tmp);
  }

  @Override
  public ImageLoader copy(ParamMap extra) {
    return defaultCopy(extra);
  }

  @Override
  public MLWriter write() {
    return new P9Writer(this);
  }

  /** {@return a reader of stages saved with {@link #write()}} */
  public static MLReader<ImageLoader> read() {
    return new P9Reader<>(ImageLoader.class, ImageLoader::new);
  }

  /**
   * {@return the stage saved at {@code path}}
   *
   * @param path where {@link #write()} saved it (a local path or Hadoop URI)
   */
  public static ImageLoader load(String path) {
    return read().load(path);
  }

  /**
   * Decodes one file on the executors, with one {@link ImageDecoder} per executor thread and options, shared
   * by every task the thread runs: each task deserializes its own copy of this function, so a decoder held by
   * the function (with its ImageIO readers' native state) would be made per task and left to the GC.
   */
  static final class DecodeFunction implements UDF2<String, byte[], Row>, Serializable {
    private static final long serialVersionUID = 1L;
    /** A few option sets per thread (a job rarely has more than one loader), least recently used evicted. */
    private static final int DECODERS_PER_THREAD = 4;
    private static final ThreadLocal<Map<DecodeOptions, ImageDecoder>> DECODERS = ThreadLocal.withInitial(
        () -> new LinkedHashMap<>(8, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<DecodeOptions, ImageDecoder> eldest) {
            return size() > DECODERS_PER_THREAD;
          }
        });
    private final DecodeOptions options;
    private final String handleInvalid;
    private final CountsAccumulator acc;

    DecodeFunction(DecodeOptions options, String handleInvalid, CountsAccumulator acc) {
      this.options = options;
      this.handleInvalid = handleInvalid;
      this.acc = acc;
    }

    ImageDecoder decoder() {
      return DECODERS.get().computeIfAbsent(options, ImageDecoder::new);
    }

    @Override
    public Row call(String path, byte[] content) {
      String reason;
      String message;
      if (content == null) {
        reason = "EMPTY";
        message = "no content";
      } else {
        try {
          PixelImage img = decoder().decode(content);
          acc.add(CountsAccumulator.OK);
          return RowFactory.create(RowFactory.create(path, img.height(), img.width(), img.channels(),
              img.openCvMode(), img.data()), null);
        } catch (ImageDecodeException e) {
          reason = e.reason().name();
          message = e.getMessage();
        }
      }
      if ("error".equals(handleInvalid)) {
        throw new ImageLoadException("cannot decode " + path + ": " + reason + ": " + message);
      }
      acc.add(CountsAccumulator.REASON + reason);
      acc.add("skip".equals(handleInvalid) ? CountsAccumulator.SKIPPED : CountsAccumulator.KEPT);
      return RowFactory.create(null, reason + ": " + message);
    }
  }

  /** The label of a path: the first group of a regex, or the parent folder; in Unicode NFC. */
  static final class LabelFunction implements UDF1<String, String>, Serializable {
    private static final long serialVersionUID = 1L;
    private final String pattern;
    private transient Pattern compiled;

    LabelFunction(String pattern) {
      this.pattern = pattern;
    }

    @Override
    public String call(String path) {
      String label = path == null ? null : label(path);
      // one name in NFD (as macOS writes it) and in NFC (as Linux and Windows tools do) is one label
      return label == null || Normalizer.isNormalized(label, Normalizer.Form.NFC) ? label
          : Normalizer.normalize(label, Normalizer.Form.NFC);
    }

    private String label(String path) {
      // binaryFile and ImageFiles give the path unencoded ('/in/Apple Red/100%.jpg'): used as it is
      if (pattern.isEmpty()) {
        int end = path.lastIndexOf('/');
        if (end <= 0) {
          return null;
        }
        int start = path.lastIndexOf('/', end - 1);
        if (start >= 2 && path.indexOf("://") == start - 2) {
          return null; // s3a://bucket/x.jpg: the bucket (or host) is not a folder
        }
        String parent = path.substring(start + 1, end);
        // 'file:' in file:/x.jpg, 'C:' in file:/C:/x.jpg: a scheme or a drive, first in the path; a folder
        // 'Note:' further down is a name like any other
        boolean first = start < 0 || path.lastIndexOf('/', start - 1) < 0;
        return parent.isEmpty() || (first && parent.endsWith(":")) ? null : parent;
      }
      if (compiled == null) {
        compiled = Pattern.compile(pattern);
      }
      Matcher m = compiled.matcher(path);
      if (!m.find()) {
        return null;
      }
      return m.groupCount() >= 1 ? m.group(1) : m.group();
    }
  }

  /** A file that could not be decoded under {@code handleInvalid=error}. */
  public static final class ImageLoadException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ImageLoadException(String message) {
      super(message);
    }
  }
}
