package io.p9.bench;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;

/** What a user writes without p9: AWT bilinear resize and a getRGB loop with ImageNet normalization. */
final class Baseline {
  private static final float[] MEAN = {0.485f, 0.456f, 0.406f};
  private static final float[] STD = {0.229f, 0.224f, 0.225f};

  private Baseline() {}

  static float[] awtToTensor(BufferedImage img, float[] out) {
    BufferedImage r = new BufferedImage(224, 224, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = r.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
    g.drawImage(img, 0, 0, 224, 224, null);
    g.dispose();
    int plane = 224 * 224;
    for (int y = 0; y < 224; y++) {
      for (int x = 0; x < 224; x++) {
        int rgb = r.getRGB(x, y);
        int p = y * 224 + x;
        out[p] = (((rgb >> 16) & 0xFF) / 255f - MEAN[0]) / STD[0];
        out[plane + p] = (((rgb >> 8) & 0xFF) / 255f - MEAN[1]) / STD[1];
        out[2 * plane + p] = ((rgb & 0xFF) / 255f - MEAN[2]) / STD[2];
      }
    }
    return out;
  }
}
