package io.p9.aws.internal;

import java.util.Map;

/**
 * The tag {@code project=p9} on every cluster and application p9 creates: the IAM policies in
 * {@code examples/iam/} let the launcher create only resources whose request carries it
 * ({@code aws:RequestTag/project}), and watch and end only resources that have it.
 */
public final class ProjectTag {
  /** The tag's key. */
  public static final String KEY = "project";
  /** The tag's value. */
  public static final String VALUE = "p9";

  private ProjectTag() {}

  /**
   * Checks that {@code tags} hold {@code project=p9} and no other tag whose key is {@code project} in any
   * case (IAM matches tag keys in condition keys regardless of case).
   *
   * @param tags the tags of a resource p9 creates
   * @throws IllegalArgumentException if the tag is missing or another {@code project} tag is there
   */
  public static void check(Map<String, String> tags) {
    for (Map.Entry<String, String> t : tags.entrySet()) {
      if (t.getKey().equalsIgnoreCase(KEY) && !(t.getKey().equals(KEY) && VALUE.equals(t.getValue()))) {
        throw new IllegalArgumentException("tag '" + t.getKey() + "=" + t.getValue() + "' is not allowed: p9 tags"
            + " what it creates " + KEY + "=" + VALUE + ", which the IAM policies in examples/iam/ require; use"
            + " another key");
      }
    }
    if (!VALUE.equals(tags.get(KEY))) {
      throw new IllegalArgumentException("the tag " + KEY + "=" + VALUE + " is missing: the IAM policies in"
          + " examples/iam/ require it");
    }
  }
}
