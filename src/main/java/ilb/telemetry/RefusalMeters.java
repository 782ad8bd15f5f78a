package ilb.telemetry;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

import ilb.admission.Tenant;
import ilb.inference.ApiError;
import ilb.inference.Protocol;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Counts the requests ilb refused before a pool into {@code ilb_requests_total}, with the labels {@link RequestMeters}
 * gives the requests a pool answered, so that a sum over the family counts every request once. Version and stage are
 * "" (no pool chose one). The model is its name only when the catalog knows it, else "": a name a client made up
 * never becomes a label value. The tenant and its class are "" until a key (or a tenant's own topic) named the tenant.
 * Counted where the refusal is decided, on that thread, without blocking: a counter per label set, made once.
 */
public final class RefusalMeters {

    /** The model, tenant and priority label of what is not known (no key, a model the catalog does not know). */
    public static final String UNKNOWN = "";

    private final MeterRegistry registry;
    private final Predicate<String> knownModel;
    private final Map<RequestMeters.Labels, Counter> counters = new ConcurrentHashMap<>();

    /** @param knownModel whether the catalog serves a model of that name */
    public RefusalMeters(MeterRegistry registry, Predicate<String> knownModel) {
        this.registry = registry;
        this.knownModel = knownModel;
    }

    /**
     * Counts one refused request.
     *
     * @param tenant the tenant its key named, or null before (or without) one
     * @param model  the model it asked for, or null when not read
     */
    public void refused(Protocol protocol, Tenant tenant, String model, ApiError error) {
        RequestMeters.Labels labels = new RequestMeters.Labels(new RequestMeters.ModelRequest(
                model != null && knownModel.test(model) ? model : UNKNOWN, "", "", protocol.label()),
                tenant != null ? tenant.name() : UNKNOWN, tenant != null ? tenant.priority().label() : UNKNOWN,
                outcome(error.status()));
        counters.computeIfAbsent(labels, l -> RequestMeters.requestCounter(registry, l)).increment();
    }

    /**
     * What a refusal's status means, in a word: 401 unauthorized, 403 forbidden, 404 not_found, 429 rate_limited,
     * 503 overloaded (ilb's own limits: bytes held, connections, shutting down; a model with no running version),
     * any other 4xx (400, 405, 408, 413, 414, 417, 431) invalid_request.
     */
    static String outcome(int status) {
        return switch (status) {
            case 401 -> "unauthorized";
            case 403 -> "forbidden";
            case 404 -> "not_found";
            case 429 -> "rate_limited";
            case 503 -> "overloaded";
            default -> status / 100 == 4 ? "invalid_request" : "server_error";
        };
    }
}
