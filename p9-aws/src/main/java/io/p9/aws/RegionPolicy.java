package io.p9.aws;

import java.util.Collections;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import software.amazon.awssdk.regions.Region;

/**
 * Which AWS regions p9 may store data in and compute in. The default allows only regions inside the
 * European Union, so personal data in images stays under the GDPR without a transfer mechanism; any other
 * region must be allowed explicitly ({@link #allowing}), which the CLI exposes as {@code --allow-region}.
 *
 * <p>The UK (eu-west-2) and Switzerland (eu-central-2) have EU adequacy decisions but are not in the EU:
 * they are not allowed by default, and can be allowed by name. Immutable.
 */
public final class RegionPolicy {
  /** Where p9 runs when no region is given: Ireland. */
  public static final Region DEFAULT_REGION = Region.EU_WEST_1;

  /** The AWS commercial regions located in EU member states. */
  public static final Set<String> EU_REGIONS = Collections.unmodifiableSet(new TreeSet<>(Set.of(
      "eu-west-1", // Ireland
      "eu-west-3", // Paris
      "eu-central-1", // Frankfurt
      "eu-north-1", // Stockholm
      "eu-south-1", // Milan
      "eu-south-2"))); // Spain

  /**
   * The regions in Europe that AWS launched after 20 March 2019: an account must enable them before use, and until
   * then their endpoints refuse its credentials (Milan, Spain, Zurich).
   */
  public static final Set<String> EUROPEAN_OPT_IN_REGIONS = Collections.unmodifiableSet(new TreeSet<>(Set.of(
      "eu-south-1", "eu-south-2", "eu-central-2")));

  private final Set<String> allowed;

  private RegionPolicy(Set<String> allowed) {
    this.allowed = Collections.unmodifiableSet(new TreeSet<>(allowed));
  }

  /** {@return the policy that allows only {@link #EU_REGIONS}} */
  public static RegionPolicy euOnly() {
    return new RegionPolicy(EU_REGIONS);
  }

  /**
   * {@return this policy plus the named regions (explicit override, e.g. {@code --allow-region us-east-1})}
   *
   * @param regions region ids
   */
  public RegionPolicy allowing(Iterable<String> regions) {
    Set<String> s = new TreeSet<>(allowed);
    for (String r : regions) {
      s.add(normalize(r));
    }
    return new RegionPolicy(s);
  }

  /** {@return the allowed region ids, sorted} */
  public Set<String> allowed() {
    return allowed;
  }

  /**
   * {@return whether {@code region} is allowed (case and surrounding white space aside); false for null}
   *
   * @param region a region id, or null
   */
  public boolean allows(String region) {
    return region != null && allowed.contains(normalize(region));
  }

  /**
   * The region, checked: {@code null} or blank gives {@link #DEFAULT_REGION}; an unknown name or a region
   * outside the allow-list throws {@link RegionNotAllowedException} with the allowed list and the override.
   *
   * @param region a region id, or null or blank for the default
   * @return the region
   * @throws RegionNotAllowedException if it is not a region name or not allowed
   */
  public Region check(String region) {
    if (region == null || region.isBlank()) {
      return DEFAULT_REGION;
    }
    String r = normalize(region);
    if (!r.matches("[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\\d")) {
      throw new RegionNotAllowedException("'" + region + "' is not an AWS region name (e.g. "
          + DEFAULT_REGION.id() + ")");
    }
    if (!allowed.contains(r)) {
      throw new RegionNotAllowedException("region " + r + " is outside the allowed regions " + allowed
          + " (EU only by default, for GDPR); allow it explicitly (--allow-region " + r
          + ") only if the data may leave the EU");
    }
    return Region.of(r);
  }

  private static String normalize(String region) {
    return region.trim().toLowerCase(Locale.ROOT);
  }

  @Override
  public String toString() {
    return "RegionPolicy" + allowed;
  }

  /** A region that the policy refuses, or a name that is not a region. */
  public static final class RegionNotAllowedException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /**
     * A refusal.
     *
     * @param message the region, why it is refused and what to do
     */
    public RegionNotAllowedException(String message) {
      super(message);
    }
  }
}
