package ilb.routing;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.DoubleSupplier;

import ilb.admission.Tenant;
import ilb.inference.ApiError;
import ilb.inference.InferenceRequest;

/**
 * Which version of a model serves a request, from its versions' {@link VersionSettings}: the version the request
 * pins, if its tenant reaches that version's stage; else, among the versions the tenant reaches (shadow versions
 * aside), one by canary weight, the same for an end user as long as the weights stand; else, with no weights, the
 * route for any version or the newest. Pure: the same snapshot, tenant and key always give the same version.
 * <p>
 * Canary weights are weighted rendezvous hashing: the key ranks every version by {@code weight / -ln(u)}, {@code u}
 * a hash of key and version in (0,1), and the top one serves. A version then gets {@code weight / sum} of the keys,
 * and a change moves only the keys that must move: a version whose weight grows only gains keys, one that stops (or
 * that a tenant does not reach) hands only its own keys to the others.
 */
public final class VersionChoice {

    /** Numbers before names, numerically ({@code 9 < 10}); names in alphabetical order. */
    static final Comparator<String> VERSION_ORDER = (a, b) -> {
        Long x = number(a);
        Long y = number(b);
        if (x != null && y != null && !x.equals(y)) {
            return Long.compare(x, y);
        }
        if ((x == null) != (y == null)) {
            return x != null ? -1 : 1;
        }
        return a.compareTo(b);
    };

    private VersionChoice() {
    }

    /** The outcome: a version to serve, or the error that says why none. */
    sealed interface Choice permits Serve, Refuse {
    }

    /** @param version the version whose route serves: empty for the route that serves any version */
    record Serve(String version) implements Choice {
    }

    record Refuse(ApiError error) implements Choice {
    }

    /**
     * @param versions the model's versions, in {@link #VERSION_ORDER}
     * @param pinned   the version the request asks for, or null
     * @param key      the request's {@link #stickyKey}
     */
    static Choice choose(String model, List<VersionSettings> versions, Tenant tenant, String pinned, long key) {
        if (pinned != null) {
            Optional<VersionSettings> route = serving(versions, pinned);
            if (route.isEmpty()) {
                return new Refuse(ApiError.notFound("model_version_not_found",
                        "Model `" + model + "` has no version `" + pinned + "`."));
            }
            return tenant.reaches(route.get().stage()) ? new Serve(route.get().version())
                    : new Refuse(new ApiError(403, "permission_error", "model_stage_not_allowed", "Version `" + pinned
                            + "` of the model `" + model + "` is " + route.get().stage() + "; your API key reaches "
                            + stages(tenant) + ".", 0));
        }
        List<VersionSettings> candidates = versions.stream()
                .filter(v -> !v.isShadow() && tenant.reaches(v.stage())).toList();
        if (candidates.isEmpty()) {
            return new Refuse(versions.stream().anyMatch(v -> tenant.reaches(v.stage()))
                    ? ApiError.unavailable("model_unavailable", "No version of the model `" + model
                            + "` serves requests now.", 1)
                    : stageNotAllowed(model, tenant));
        }
        VersionSettings chosen = heaviest(candidates, key);
        if (chosen == null) {
            // no weight above 0: the route for any version, else the newest, of those without a weight (a weight of
            // 0 means pinned requests only, and must not make its version the default)
            List<VersionSettings> unweighted = candidates.stream().filter(v -> !v.hasWeight()).toList();
            if (unweighted.isEmpty()) {
                return new Refuse(ApiError.unavailable("model_unavailable", "Every version of the model `" + model
                        + "` you reach has weight 0: it serves only requests that pin a version.", 1));
            }
            chosen = named(unweighted, "").orElse(unweighted.get(unweighted.size() - 1));
        }
        return new Serve(chosen.version());
    }

    /** The 403 of a tenant that reaches none of a model's stages. */
    public static ApiError stageNotAllowed(String model, Tenant tenant) {
        return new ApiError(403, "permission_error", "model_stage_not_allowed", "No version of the model `" + model
                + "` is in a stage your API key reaches (" + stages(tenant) + ").", 0);
    }

    /**
     * The shadow versions a request served by {@code primary} is copied to: each with its own draw from
     * {@code random} (uniform in [0,1)) against its share.
     */
    static List<String> shadows(List<VersionSettings> versions, String primary, Tenant tenant,
            DoubleSupplier random) {
        List<String> copies = new ArrayList<>(1);
        for (VersionSettings version : versions) {
            // a tenant's prompts reach only the stages it may reach, copies included
            if (version.isShadow() && !version.version().equals(primary) && tenant.reaches(version.stage())
                    && random.getAsDouble() < version.shadow()) {
                copies.add(version.version());
            }
        }
        return copies;
    }

    /**
     * Whom a canary keeps on one version: the end user the request names ({@code user}), else its session
     * ({@code x-session-id}), else its API key (by the hash {@code caller}; null for a job on its tenant's own
     * topic), else its tenant. Only a hash of it is kept.
     */
    static long stickyKey(InferenceRequest request, Tenant tenant, String caller) {
        String who = request.user() != null ? request.user()
                : request.session() != null ? request.session() : caller != null ? caller : tenant.name();
        return hash(who);
    }

    /** The candidate with weight above 0 that ranks the key highest, or null if none has one. */
    private static VersionSettings heaviest(List<VersionSettings> candidates, long key) {
        VersionSettings best = null;
        double bestScore = 0;
        for (VersionSettings version : candidates) {
            if (version.hasWeight() && version.weight() > 0) {
                double score = version.weight() / -Math.log(unit(mix(key ^ hash(version.version()))));
                if (score > bestScore) {
                    best = version;
                    bestScore = score;
                }
            }
        }
        return best;
    }

    /** The route of {@code version} (null: none asked), else the route for any version, if there is one. */
    static Optional<VersionSettings> serving(List<VersionSettings> versions, String version) {
        return named(versions, version == null ? "" : version).or(() -> named(versions, ""));
    }

    private static Optional<VersionSettings> named(List<VersionSettings> versions, String version) {
        return versions.stream().filter(v -> v.version().equals(version)).findFirst();
    }

    private static String stages(Tenant tenant) {
        return String.join(", ", new TreeSet<>(tenant.stages()));
    }

    private static Long number(String version) {
        try {
            return Long.parseLong(version);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** FNV-1a over the UTF-8 bytes, then mixed: the same on every replica and every run. */
    static long hash(String text) {
        long h = 0xcbf29ce484222325L;
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            h = (h ^ (b & 0xff)) * 0x100000001b3L;
        }
        return mix(h);
    }

    /** SplitMix64's finalizer: spreads nearby inputs over the whole range. */
    private static long mix(long h) {
        h = (h ^ (h >>> 30)) * 0xBF58476D1CE4E5B9L;
        h = (h ^ (h >>> 27)) * 0x94D049BB133111EBL;
        return h ^ (h >>> 31);
    }

    /** The top 53 bits as a double strictly between 0 and 1. */
    private static double unit(long h) {
        return ((h >>> 11) + 0.5) / (1L << 53);
    }
}
