package io.p9.bench;

import io.p9.core.image.DecodeOptions;
import io.p9.core.image.ImageDecoder;
import io.p9.core.image.PixelImage;
import io.p9.core.image.PreprocessSpec;
import io.p9.core.image.Preprocessor;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.color.ColorSpace;
import java.awt.color.ICC_Profile;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * (2) Decode + resize + normalize into the float buffer, per image: 100x100 Fruits-360 JPEGs ({@code fruit})
 * and a 1600x1200 JPEG made by upscaling one ({@code photo}); on request ({@code -p image=fruitIcc}) the same
 * Fruits-360 JPEGs with the JDK's sRGB ICC profile embedded, as cameras and editors write one (p9 drops it
 * before decoding); {@code -p image=fruitProgressive,photoProgressive}: the same two re-encoded as progressive
 * JPEGs (the JDK writer's default scans). {@code p9} is ImageDecoder + Preprocessor;
 * {@code imageIoAwt} is what a user would write (ImageIO.read, Graphics2D bilinear resize, getRGB loop).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g"})
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 5)
public class PreprocessBenchmark {
  @Param({"fruit", "photo"})
  public String image;

  List<byte[]> files;
  int next;
  ImageDecoder decoder;
  Preprocessor pre;
  float[] out;
  FloatBuffer direct;
  PixelImage decoded;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    List<byte[]> fruits = BenchData.read(BenchData.fruitJpegs(64));
    files = switch (image) {
      case "fruit" -> fruits;
      case "fruitIcc" -> fruits.stream().map(PreprocessBenchmark::withSrgbProfile).toList();
      case "photo" -> List.of(upscale(fruits.get(0), 1600, 1200));
      case "fruitProgressive" -> fruits.stream().map(PreprocessBenchmark::progressive).toList();
      case "photoProgressive" -> List.of(progressive(upscale(fruits.get(0), 1600, 1200)));
      default -> throw new IllegalArgumentException(
          "image: fruit, photo, fruitIcc, fruitProgressive or photoProgressive, not " + image);
    };
    decoder = new ImageDecoder(DecodeOptions.defaults());
    pre = new Preprocessor(PreprocessSpec.imagenet(224));
    out = new float[3 * 224 * 224];
    direct = ByteBuffer.allocateDirect(out.length * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
    decoded = decoder.decode(files.get(0));
  }

  static byte[] upscale(byte[] jpeg, int w, int h) throws IOException {
    BufferedImage src = ImageIO.read(new ByteArrayInputStream(jpeg));
    BufferedImage big = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
    Graphics2D g = big.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BICUBIC);
    g.drawImage(src, 0, 0, w, h, null);
    g.dispose();
    ByteArrayOutputStream bos = new ByteArrayOutputStream();
    ImageIO.write(big, "jpg", bos);
    return bos.toByteArray();
  }

  /** {@code jpeg} decoded and written again as a progressive JPEG (the JDK writer's default quality and scans). */
  static byte[] progressive(byte[] jpeg) {
    try {
      ImageWriter w = ImageIO.getImageWritersByFormatName("jpeg").next();
      ImageWriteParam p = w.getDefaultWriteParam();
      p.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
      ByteArrayOutputStream bos = new ByteArrayOutputStream();
      try (ImageOutputStream out = ImageIO.createImageOutputStream(bos)) {
        w.setOutput(out);
        w.write(null, new IIOImage(ImageIO.read(new ByteArrayInputStream(jpeg)), null, null), p);
      } finally {
        w.dispose();
      }
      return bos.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code jpeg} with an APP2 ICC_PROFILE segment holding the JDK's sRGB profile, right after SOI. */
  static byte[] withSrgbProfile(byte[] jpeg) {
    byte[] icc = ICC_Profile.getInstance(ColorSpace.CS_sRGB).getData();
    byte[] tag = "ICC_PROFILE\0".getBytes(StandardCharsets.US_ASCII);
    int length = 2 + tag.length + 2 + icc.length; // the length field, the tag, chunk 1 of 1, the profile
    ByteArrayOutputStream out = new ByteArrayOutputStream(jpeg.length + length + 2);
    out.write(jpeg, 0, 2);
    out.writeBytes(new byte[] {(byte) 0xFF, (byte) 0xE2, (byte) (length >> 8), (byte) length});
    out.writeBytes(tag);
    out.writeBytes(new byte[] {1, 1});
    out.writeBytes(icc);
    out.write(jpeg, 2, jpeg.length - 2);
    return out.toByteArray();
  }

  private byte[] nextFile() {
    byte[] f = files.get(next);
    next = (next + 1) % files.size();
    return f;
  }

  @Benchmark
  public float[] p9() throws Exception {
    PixelImage img = decoder.decode(nextFile());
    pre.pack(img, out, 0);
    return out;
  }

  @Benchmark
  public PixelImage decodeOnly() throws Exception {
    return decoder.decode(nextFile());
  }

  @Benchmark
  public float[] packOnly() {
    pre.pack(decoded, out, 0);
    return out;
  }

  /** What the batch path does: pack into a direct buffer (ONNX Runtime's input). */
  @Benchmark
  public FloatBuffer packDirect() {
    pre.pack(decoded, direct, 0);
    return direct;
  }

  @Benchmark
  public float[] imageIoAwt() {
    try {
      BufferedImage img = ImageIO.read(new ByteArrayInputStream(nextFile()));
      return Baseline.awtToTensor(img, out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
