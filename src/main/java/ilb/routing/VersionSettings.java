package ilb.routing;

import ilb.admission.Tenant;

/**
 * How one route of a model takes part in choosing a version: its stage, its canary weight, its shadow share. Set in
 * the route file ({@code model:<name>?version=..&stage=..&weight=..&shadow=..}); weight and shadow change live (JMX)
 * until the route is next loaded.
 *
 * @param version the version the route serves; empty for a route that serves any version
 * @param stage   {@code production} or {@code experimental}: only tenants that reach it are served by it
 * @param weight  its share of the model's requests against the other versions' weights, or null for none: while no
 *                version of its model has a weight, the newest serves
 * @param shadow  the share (0 to 1) of the model's requests copied to it; above 0 it is a shadow version, which
 *                serves no request of its own unless pinned
 */
public record VersionSettings(String version, String stage, Integer weight, double shadow) {

    public VersionSettings {
        if (!stage.equals(Tenant.PRODUCTION) && !stage.equals(Tenant.EXPERIMENTAL)) {
            throw new IllegalArgumentException("stage must be " + Tenant.PRODUCTION + " or " + Tenant.EXPERIMENTAL
                    + ", not '" + stage + "'");
        }
        if (weight != null && weight < 0) {
            throw new IllegalArgumentException("weight must be 0 or more, not " + weight);
        }
        if (!(shadow >= 0 && shadow <= 1)) {
            throw new IllegalArgumentException("shadow must be a share from 0 to 1, not " + shadow);
        }
        if (version.isEmpty() && (weight != null || shadow > 0)) {
            throw new IllegalArgumentException("weight and shadow need a version: they share a model's requests"
                    + " between its versions");
        }
        if (weight != null && weight > 0 && shadow > 0) {
            throw new IllegalArgumentException("version " + version + " has both a weight (" + weight
                    + ") and a shadow share (" + shadow + "): a shadow version serves no requests of its own");
        }
    }

    /** Whether it only takes copies of the model's requests (and those pinned to it). */
    public boolean isShadow() {
        return shadow > 0;
    }

    public boolean hasWeight() {
        return weight != null;
    }

    VersionSettings withWeight(Integer newWeight) {
        return new VersionSettings(version, stage, newWeight, shadow);
    }

    VersionSettings withShadow(double newShadow) {
        return new VersionSettings(version, stage, weight, newShadow);
    }
}
