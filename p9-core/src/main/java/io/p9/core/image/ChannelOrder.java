package io.p9.core.image;

/** Channel order a model expects. */
public enum ChannelOrder {
  RGB,
  BGR
}
