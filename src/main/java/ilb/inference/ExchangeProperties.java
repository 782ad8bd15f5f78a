package ilb.inference;

/** Exchange properties that carry what ilb learns about a request along its route. */
public final class ExchangeProperties {

    /** The {@link Api} the request came in on. */
    public static final String API = "ilb.api";
    /** The {@link ilb.admission.Tenant} calling, once its API key is known. */
    public static final String TENANT = "ilb.tenant";
    /** The SHA-256 of the caller's API key (never the key itself): whom a canary keeps on one version, at least. */
    public static final String CALLER = "ilb.caller";
    /** Id of the backend that served (or last tried) the request. */
    public static final String BACKEND = "ilb.backend";
    /**
     * The {@link ilb.backend.Backend} an attempt is sent to, which the balancer chose among those of its
     * {@code backend:} endpoint (one, or each server its DNS name gives).
     */
    public static final String TARGET = "ilb.target";
    /** How many backends were tried. */
    public static final String ATTEMPTS = "ilb.attempts";
    /**
     * The {@link System#nanoTime()} by which the request's backend call must be over (a batch job's share of its
     * poll), or absent: then only the backend's own {@code timeout} and {@code deadline} bound it.
     */
    public static final String DEADLINE_NANOS = "ilb.deadlineNanos";

    /**
     * True on a shadow copy of a request (a share of a model's traffic copied to its shadow version): its answer is
     * discarded; it is never queued, never retried and never counted against its tenant's limits.
     */
    public static final String SHADOW = "ilb.shadow";
    /** The model version whose route served the request, for the {@code x-ilb-model-version} response header. */
    public static final String MODEL_VERSION = "ilb.modelVersion";

    /**
     * What its tenant's limits said of the request (an {@link ilb.admission.LimitStore.Verdict}), for OpenAI's
     * {@code x-ratelimit-*} response headers; absent for a tenant without limits.
     */
    public static final String RATE_LIMITS = "ilb.rateLimits";
    /** The share of its tenant's limits an admitted request holds until its response is over, and settles once. */
    public static final String LIMIT_GRANT = "ilb.limitGrant";

    /**
     * The {@link ilb.telemetry.RequestRecord} of the request, for its access log line and its trace; absent while
     * both are off.
     */
    public static final String RECORD = "ilb.record";

    private ExchangeProperties() {
    }
}
