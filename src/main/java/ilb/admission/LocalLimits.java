package ilb.admission;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Tenants' limits counted on this replica alone. {@code share} divides each limit (a replica's part, when the
 * shared count is out of reach and {@code n} replicas share the tenant's traffic); 1 for the whole.
 */
public final class LocalLimits implements LimitStore {

    /** Retry-After of a request over its concurrency: a place frees when some response ends, unknown when. */
    static final long CONCURRENCY_RETRY_MILLIS = 1000;

    private final LongSupplier clockMillis;
    private final Map<String, Counts> counts = new ConcurrentHashMap<>();
    private volatile double share = 1;

    public LocalLimits(LongSupplier clockMillis) {
        this.clockMillis = clockMillis;
    }

    /** Counts each limit as {@code share} of itself from now on (at least 1 of each). */
    public void share(double share) {
        this.share = share;
    }

    /** One tenant's count: its buckets and requests in flight, changed under its own lock. */
    private static final class Counts {
        MinuteBucket requests;
        MinuteBucket tokens;
        int inFlight;
    }

    @Override
    public CompletionStage<Verdict> acquire(Tenant tenant, long tokens) {
        return CompletableFuture.completedFuture(acquireNow(tenant, tokens));
    }

    /** {@link #acquire}, answered at once. */
    public Verdict acquireNow(Tenant tenant, long tokens) {
        Quota quota = tenant.quota();
        long requestLimit = scaled(quota.requestsPerMinute());
        long tokenLimit = scaled(quota.tokensPerMinute());
        long concurrency = scaled(quota.maxConcurrent());
        long now = clockMillis.getAsLong();
        Counts c = counts.computeIfAbsent(tenant.name(), n -> new Counts());
        synchronized (c) {
            MinuteBucket requests = requestLimit == 0 ? null
                    : c.requests == null ? MinuteBucket.full(requestLimit, now) : c.requests.at(requestLimit, now);
            MinuteBucket tokenBucket = tokenLimit == 0 ? null
                    : c.tokens == null ? MinuteBucket.full(tokenLimit, now) : c.tokens.at(tokenLimit, now);
            boolean requestsOver = requests != null && !requests.allows(requestLimit, 1);
            boolean tokensOver = tokenBucket != null && !tokenBucket.allows(tokenLimit, tokens);
            boolean concurrencyOver = concurrency > 0 && c.inFlight >= concurrency;
            String exceeded = requestsOver ? "requests" : tokensOver ? "tokens" : concurrencyOver ? "concurrency" : null;
            // until every limit it is over lets it in, not only the first: else it would be refused again then
            long retry = Math.max(Math.max(requestsOver ? requests.waitMillis(requestLimit, 1) : 0,
                    tokensOver ? tokenBucket.waitMillis(tokenLimit, tokens) : 0),
                    concurrencyOver ? CONCURRENCY_RETRY_MILLIS : 0);
            if (exceeded == null) {
                requests = requests == null ? null : requests.take(1, requestLimit);
                tokenBucket = tokenBucket == null ? null : tokenBucket.take(tokens, tokenLimit);
                c.inFlight++;
            }
            c.requests = requests;
            c.tokens = tokenBucket;
            return new Verdict(exceeded == null, exceeded, retry,
                    requests == null ? null : requests.window(requestLimit),
                    tokenBucket == null ? null : tokenBucket.window(tokenLimit));
        }
    }

    @Override
    public void settle(Tenant tenant, long tokenCorrection, boolean requestBack) {
        Counts c = counts.get(tenant.name());
        if (c == null) {
            return;
        }
        long tokenLimit = scaled(tenant.quota().tokensPerMinute());
        long requestLimit = scaled(tenant.quota().requestsPerMinute());
        long now = clockMillis.getAsLong();
        synchronized (c) {
            if (requestBack && c.requests != null && requestLimit > 0) {
                c.requests = c.requests.at(requestLimit, now).take(-1, requestLimit);
            }
            if (c.tokens != null && tokenLimit > 0) {
                c.tokens = c.tokens.at(tokenLimit, now).take(tokenCorrection, tokenLimit);
            }
            c.inFlight = Math.max(0, c.inFlight - 1);
        }
    }

    /** A replica's part of a limit: 0 stays none, anything else at least 1. */
    private long scaled(long limit) {
        return limit == 0 ? 0 : Math.max(1, (long) Math.floor(limit * share));
    }
}
