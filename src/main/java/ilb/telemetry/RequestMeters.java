package ilb.telemetry;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;

import ilb.backend.Backend;
import ilb.balancer.RequestObserver;
import ilb.inference.ApiError;
import ilb.inference.BackendFailure;
import ilb.inference.BackendStream;
import ilb.inference.HttpReply;
import ilb.inference.InferenceMessage;
import ilb.inference.InferenceRequest;
import ilb.inference.Protocol;
import ilb.routing.VersionSettings;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.netty.buffer.ByteBuf;

/**
 * What requests came to, as Prometheus meters: per backend (and the protocol it speaks), each attempt's outcome,
 * latency, time to first token, time between tokens and tokens; per model, version, stage, protocol (the client's)
 * and tenant, each request's outcome and tokens (a shadow copy's under its shadow version, as sheddable); per pool and
 * model, the requests hedged and whether the hedge won ({@code ilb_hedges_total}). Meters are made once per backend
 * or label set and then only counted, on the thread that has the response.
 */
public final class RequestMeters implements RequestObserver {

    private static final Duration[] REQUEST_BUCKETS = seconds(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120);
    private static final Duration[] TTFT_BUCKETS = seconds(0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30);
    private static final double[] PREDICTION_ERROR_BUCKETS = {0.25, 0.5, 0.8, 1, 1.25, 2, 4};
    private static final Duration[] ITL_BUCKETS = seconds(0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 1);

    /** The meter of requests answered, this class's and {@link RefusalMeters}'s ({@link #requestCounter}). */
    private static final String REQUESTS = "ilb.requests";
    private static final String REQUESTS_DESCRIPTION = "requests answered (refused before a pool too), by model, version,"
            + " stage, protocol, tenant, priority and outcome";

    private final MeterRegistry registry;
    private final Map<BackendKey, BackendMeters> backends = new ConcurrentHashMap<>();
    private final Map<Labels, Counter> requests = new ConcurrentHashMap<>();
    private final Map<Labels, Counter> tokens = new ConcurrentHashMap<>();
    private final Map<ModelRequest, ModelMeters> models = new ConcurrentHashMap<>();
    private final Map<Hedge, Counter> hedges = new ConcurrentHashMap<>();
    private final BiFunction<String, String, VersionSettings> routeOf;

    /**
     * @param routeOf the route serving a model's version (null: its route for any version): its version and stage
     *                label the model's meters, so that a version a client names cannot make meters of its own
     */
    public RequestMeters(MeterRegistry registry, BiFunction<String, String, VersionSettings> routeOf) {
        this.registry = registry;
        this.routeOf = routeOf;
    }

    /**
     * What the per-model meters tell requests apart by: the model's version ("" for none), the stage of the pool
     * that serves it, and the protocol the client spoke ({@link ilb.inference.Protocol#label()}).
     */
    record ModelRequest(String model, String version, String stage, String protocol) {
    }

    /** What a backend's meters are labelled by, found per answer without building their tags. */
    private record BackendKey(String id, Protocol protocol) {
    }

    /** What hedges are counted by: pool, model, and whether the hedge answered first. */
    private record Hedge(String pool, String model, boolean won) {
    }

    /** A label set of the per-model counters: {@code kind} is the outcome of a request or the kind of a token. */
    record Labels(ModelRequest model, String tenant, String priority, String kind) {
    }

    @Override
    public void answered(Backend backend, InferenceRequest request, String tenant, long sentNanos,
            InferenceMessage response) {
        BackendMeters meters = backends.computeIfAbsent(new BackendKey(backend.id(), backend.settings().protocol()),
                key -> new BackendMeters(backend));
        long now = System.nanoTime();
        if (response instanceof BackendStream stream) {
            meters.ttft.record(now - sentNanos, TimeUnit.NANOSECONDS);
            StreamTally tally = new StreamTally(meters, now);
            stream.tap(tally);
            stream.whenDone(normally -> {
                meters.outcome(normally ? "success" : "stream_interrupted").increment();
                meters.duration.record(System.nanoTime() - sentNanos, TimeUnit.NANOSECONDS);
                countTokens(meters, request, tenant, tally.usage);
            });
            return;
        }
        meters.outcome(outcome(response)).increment();
        if (response instanceof HttpReply reply) {
            meters.duration.record(now - sentNanos, TimeUnit.NANOSECONDS);
            if (reply.status() / 100 == 2) {
                TokenUsage usage = new TokenUsage();
                usage.reply(reply.body());
                countTokens(meters, request, tenant, usage);
            }
        }
    }

    @Override
    public void finished(InferenceRequest request, String tenant, long arrivedNanos, InferenceMessage response) {
        ModelRequest model = modelRequest(request);
        ModelMeters meters = models.computeIfAbsent(model, ModelMeters::new);
        long waited = System.nanoTime() - arrivedNanos;
        if (response instanceof BackendStream stream) {
            meters.ttft.record(waited, TimeUnit.NANOSECONDS);
            stream.whenDone(normally -> meters.duration.record(System.nanoTime() - arrivedNanos, TimeUnit.NANOSECONDS));
        } else {
            meters.duration.record(waited, TimeUnit.NANOSECONDS);
        }
        requests.computeIfAbsent(new Labels(model, tenant, priority(request), outcome(response)),
                labels -> requestCounter(registry, labels)).increment();
    }

    @Override
    public void hedged(String pool, InferenceRequest request, boolean won) {
        hedges.computeIfAbsent(new Hedge(pool, request.model(), won), hedge -> Counter.builder("ilb.hedges")
                .description("requests also sent to a second backend when the first gave no first byte in time, by "
                        + "whether the second answered first (won) or not (lost)")
                .tag("pool", pool).tag("model", hedge.model()).tag("outcome", won ? "won" : "lost")
                .register(registry)).increment();
    }

    private void countTokens(BackendMeters meters, InferenceRequest request, String tenant, TokenUsage usage) {
        long prompt = usage.promptTokens();
        long completion = usage.completionTokens();
        meters.promptTokens.increment(prompt);
        meters.completionTokens.increment(completion);
        String priority = priority(request);
        ModelRequest model = modelRequest(request);
        tokenCounter(new Labels(model, tenant, priority, "prompt")).increment(prompt);
        tokenCounter(new Labels(model, tenant, priority, "completion")).increment(completion);
    }

    private ModelRequest modelRequest(InferenceRequest request) {
        VersionSettings route = routeOf.apply(request.model(), request.version());
        return new ModelRequest(request.model(), route.version(), route.stage(), request.protocol().label());
    }

    private Counter tokenCounter(Labels labels) {
        return tokens.computeIfAbsent(labels, l -> counter(registry, "ilb.tokens",
                "prompt and completion tokens, by model, version, stage, protocol, tenant and priority", "kind", l));
    }

    /**
     * The {@code ilb_requests_total} counter of a label set (the kind an outcome): one definition of its labels for the
     * requests a pool answered and those refused before one, which Prometheus needs to be the same.
     */
    static Counter requestCounter(MeterRegistry registry, Labels labels) {
        return counter(registry, REQUESTS, REQUESTS_DESCRIPTION, "outcome", labels);
    }

    /** A per-model counter; {@code kindTag} names what the labels' kind is (an outcome, a kind of token). */
    private static Counter counter(MeterRegistry registry, String name, String description, String kindTag,
            Labels labels) {
        return Counter.builder(name).description(description).tags(tags(labels.model()))
                .tag("tenant", labels.tenant()).tag("priority", labels.priority()).tag(kindTag, labels.kind())
                .register(registry);
    }

    private static Tags tags(ModelRequest model) {
        return Tags.of("model", model.model(), "version", model.version(), "stage", model.stage(), "protocol",
                model.protocol());
    }

    private Timer timer(String name, String description, Tags tags, Duration[] buckets) {
        return Timer.builder(name).description(description).tags(tags).serviceLevelObjectives(buckets)
                .register(registry);
    }

    private static String priority(InferenceRequest request) {
        return request.priority().label();
    }

    /** What a response means, in a word: a label value. */
    static String outcome(InferenceMessage response) {
        if (response instanceof BackendStream) {
            return "success";
        }
        if (response instanceof BackendFailure failure) {
            return switch (failure.kind()) {
                case CONNECT -> "connect_error";
                case RESET -> "reset";
                case TIMEOUT -> "timeout";
                case EXPIRED -> "deadline_exceeded";
                case PROTOCOL -> "protocol_error";
                case CLIENT_GONE -> "client_gone";
                // what ilb refused, apart from what backends answered or did wrong
                case REQUEST -> "invalid_request";
                case RESPONSE_TOO_LARGE -> "response_too_large";
            };
        }
        if (response instanceof ApiError error
                && (error.code().equals("invalid_request") || error.code().equals("response_too_large"))) {
            // the client's answer to those two: named as the attempt's outcome is
            return error.code();
        }
        int status = response instanceof HttpReply reply ? reply.status()
                : response instanceof ApiError error ? error.status() : 500;
        return outcome(status);
    }

    /** What a status the client was answered means, in a word: a label value. */
    static String outcome(int status) {
        if (status / 100 == 2) {
            return "success";
        }
        return switch (status) {
            case 429 -> "rate_limited";
            case 499 -> "client_gone";
            case 503 -> "unavailable";
            case 504 -> "timeout";
            default -> status / 100 == 4 ? "client_error" : "server_error";
        };
    }

    /** What a model's clients wait, from the request's arrival at the pool: queueing and retries included. */
    private final class ModelMeters {
        private final Timer duration;
        private final Timer ttft;

        ModelMeters(ModelRequest model) {
            duration = timer("ilb.request.duration", "time from a request's arrival at its model's pool to the end "
                    + "of its response, waits and retries included", tags(model), REQUEST_BUCKETS);
            ttft = timer("ilb.time.to.first.token", "time from a streamed request's arrival at its model's pool to "
                    + "its first token, waits and retries included", tags(model), TTFT_BUCKETS);
        }
    }

    /** One backend's meters, made when it first answers (and again should a reload change its protocol). */
    private final class BackendMeters {
        private final Tags backend;
        private final Map<String, Counter> outcomes = new ConcurrentHashMap<>();
        private final Timer duration;
        private final Timer ttft;
        private final Timer interToken;
        private final Counter promptTokens;
        private final Counter completionTokens;
        /** Made at the first prediction: only pools whose policy predicts have one. */
        private volatile DistributionSummary ttftPredictionError;

        /** @param server the backend, whose predictions' errors its meters record too */
        BackendMeters(Backend server) {
            this.backend = IlbMeters.tags(server);
            duration = timer("ilb.backend.request.duration", "time from sending a request to the backend to the "
                    + "end of its response", backend, REQUEST_BUCKETS);
            ttft = timer("ilb.backend.time.to.first.token", "time from sending a streamed request to the backend "
                    + "to its first token", backend, TTFT_BUCKETS);
            interToken = timer("ilb.backend.inter.token.latency", "time between two chunks (tokens) of a stream "
                    + "from the backend", backend, ITL_BUCKETS);
            promptTokens = tokens("prompt");
            completionTokens = tokens("completion");
            server.profile().onTtftError(ratio -> ttftPredictionError().record(ratio));
        }

        /**
         * A ratio, not a difference: comparable between fast and slow backends, and how predictions err (a wait
         * mispredicted by a factor); 1 is exact.
         */
        private DistributionSummary ttftPredictionError() {
            DistributionSummary summary = ttftPredictionError;
            if (summary == null) {
                summary = DistributionSummary.builder("ilb.backend.ttft.prediction.error")
                        .description("observed over predicted time to first token at the backend, for the requests"
                                + " a predicting policy (predicted-latency) sent there: 1 is exact, 2 took twice as"
                                + " long").tags(backend).serviceLevelObjectives(PREDICTION_ERROR_BUCKETS)
                        .register(registry);
                ttftPredictionError = summary;
            }
            return summary;
        }

        Counter outcome(String outcome) {
            return outcomes.computeIfAbsent(outcome, o -> Counter.builder("ilb.backend.requests")
                    .description("attempts at the backend, by outcome").tags(backend).tag("outcome", o)
                    .register(registry));
        }

        private Counter tokens(String kind) {
            return Counter.builder("ilb.backend.tokens").description("prompt and completion tokens the backend "
                    + "processed").tags(backend).tag("kind", kind).register(registry);
        }
    }

    /** Watches a stream's chunks go by, on its event loop: the time between them, and its tokens. */
    private static final class StreamTally implements BackendStream.Tap {
        private final BackendMeters meters;
        private final TokenUsage usage = new TokenUsage();
        private long lastNanos;
        private boolean first = true;

        StreamTally(BackendMeters meters, long firstTokenNanos) {
            this.meters = meters;
            this.lastNanos = firstTokenNanos;
        }

        @Override
        public void onChunk(ByteBuf chunk) {
            long now = System.nanoTime();
            if (first) {
                // the first token's chunk, held since it arrived at firstTokenNanos
                first = false;
            } else {
                meters.interToken.record(now - lastNanos, TimeUnit.NANOSECONDS);
                lastNanos = now;
            }
            usage.chunk(chunk);
        }
    }

    private static Duration[] seconds(double... values) {
        Duration[] durations = new Duration[values.length];
        for (int i = 0; i < values.length; i++) {
            durations[i] = Duration.ofNanos((long) (values[i] * 1e9));
        }
        return durations;
    }
}
