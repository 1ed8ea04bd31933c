package io.p9.aws.internal;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.SdkField;
import software.amazon.awssdk.core.SdkPojo;
import software.amazon.awssdk.core.protocol.MarshallLocation;
import software.amazon.awssdk.core.util.SdkAutoConstructList;
import software.amazon.awssdk.core.util.SdkAutoConstructMap;

/**
 * A small JSON writer, plus the conversion of an AWS SDK v2 model object to what its JSON protocols put on
 * the wire: the members' location names, unset members left out, timestamps as epoch seconds. Members that
 * travel in the URI, query string or headers (REST-JSON) are left out of {@link #payload}; see
 * {@link #uriMembers}.
 */
public final class Json {
  private Json() {}

  /**
   * {@return the body fields of {@code pojo} as ordered maps, lists and scalars, by location name}
   *
   * @param pojo an SDK request or model object
   */
  public static Map<String, Object> payload(SdkPojo pojo) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (SdkField<?> f : pojo.sdkFields()) {
      if (f.location() != MarshallLocation.PAYLOAD) {
        continue;
      }
      Object v = tree(f.getValueOrDefault(pojo));
      if (v != null) {
        m.put(f.locationName(), v);
      }
    }
    return m;
  }

  /**
   * {@return the members of {@code pojo} that travel in the URI path or query string, by location name}
   *
   * @param pojo an SDK request
   */
  public static Map<String, Object> uriMembers(SdkPojo pojo) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (SdkField<?> f : pojo.sdkFields()) {
      if (f.location() == MarshallLocation.PATH || f.location() == MarshallLocation.GREEDY_PATH
          || f.location() == MarshallLocation.QUERY_PARAM) {
        Object v = tree(f.getValueOrDefault(pojo));
        if (v != null) {
          m.put(f.locationName(), v);
        }
      }
    }
    return m;
  }

  /**
   * {@return {@code value} as maps, lists and scalars (SDK objects converted as in {@link #payload}); null for an
   * unset member}
   *
   * @param value an SDK object, list, map or scalar, or null
   */
  public static Object tree(Object value) {
    if (value == null || value instanceof SdkAutoConstructList || value instanceof SdkAutoConstructMap) {
      return null;
    }
    if (value instanceof SdkPojo p) {
      return payload(p);
    }
    if (value instanceof List<?> l) {
      List<Object> out = new ArrayList<>();
      for (Object o : l) {
        out.add(tree(o));
      }
      return out;
    }
    if (value instanceof Map<?, ?> mm) {
      Map<String, Object> out = new LinkedHashMap<>();
      mm.forEach((k, v) -> out.put(String.valueOf(k), tree(v)));
      return out;
    }
    if (value instanceof Instant i) {
      return i.toEpochMilli() / 1000.0;
    }
    if (value instanceof SdkBytes b) {
      return Base64.getEncoder().encodeToString(b.asByteArray());
    }
    return value;
  }

  /**
   * {@return {@code tree} as compact JSON}
   *
   * @param tree maps, lists, strings, numbers, booleans and nulls
   */
  public static String write(Object tree) {
    StringBuilder sb = new StringBuilder();
    write(sb, tree, -1, 0);
    return sb.toString();
  }

  /**
   * {@return {@code tree} as JSON indented by two spaces}
   *
   * @param tree maps, lists, strings, numbers, booleans and nulls
   */
  public static String pretty(Object tree) {
    StringBuilder sb = new StringBuilder();
    write(sb, tree, 2, 0);
    return sb.toString();
  }

  private static void write(StringBuilder sb, Object v, int indent, int depth) {
    if (v == null) {
      sb.append("null");
    } else if (v instanceof String s) {
      quote(sb, s);
    } else if (v instanceof Number || v instanceof Boolean) {
      sb.append(v);
    } else if (v instanceof Map<?, ?> m) {
      if (m.isEmpty()) {
        sb.append("{}");
        return;
      }
      sb.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> e : m.entrySet()) {
        sb.append(first ? "" : ",");
        first = false;
        newline(sb, indent, depth + 1);
        quote(sb, String.valueOf(e.getKey()));
        sb.append(indent >= 0 ? ": " : ":");
        write(sb, e.getValue(), indent, depth + 1);
      }
      newline(sb, indent, depth);
      sb.append('}');
    } else if (v instanceof List<?> l) {
      if (l.isEmpty()) {
        sb.append("[]");
        return;
      }
      sb.append('[');
      for (int i = 0; i < l.size(); i++) {
        sb.append(i == 0 ? "" : ",");
        newline(sb, indent, depth + 1);
        write(sb, l.get(i), indent, depth + 1);
      }
      newline(sb, indent, depth);
      sb.append(']');
    } else if (v instanceof SdkPojo || v instanceof Instant || v instanceof SdkBytes) {
      write(sb, tree(v), indent, depth);
    } else {
      quote(sb, v.toString());
    }
  }

  private static void newline(StringBuilder sb, int indent, int depth) {
    if (indent >= 0) {
      sb.append('\n').append(" ".repeat(indent * depth));
    }
  }

  private static void quote(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }
}
