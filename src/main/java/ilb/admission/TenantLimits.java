package ilb.admission;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import ilb.inference.ApiError;
import ilb.inference.ClientGone;
import ilb.inference.ExchangeProperties;
import ilb.inference.InferenceRequest;
import ilb.telemetry.RefusalMeters;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.support.AsyncProcessorSupport;

/**
 * The step of tenants' limits ({@link Quota}), once a request is read and before it goes to its model: takes the
 * request, its estimated prompt tokens and a place of its tenant's limits from the {@link LimitStore}, without
 * blocking, and over a limit answers 429 {@code rate_limit_exceeded} with {@code Retry-After}. An admitted request
 * holds a {@link LimitGrant} until its response is over. What the store said rides on the exchange
 * ({@link ExchangeProperties#RATE_LIMITS}) for OpenAI's {@code x-ratelimit-*} response headers.
 * <p>
 * Passed untouched: tenants without limits, and anything but an {@link InferenceRequest} (a batch job ilb cannot do
 * goes on to its dead letter). Shadow copies never pass here: they start at their version's pool route.
 */
public final class TenantLimits extends AsyncProcessorSupport {

    /** Characters of prompt to a token: OpenAI's rule of thumb for English, tokenizer unknown. */
    private static final int CHARS_PER_TOKEN = 4;

    private final LimitStore limits;
    private final boolean stopsRoute;
    private final RefusalMeters refusals;

    /**
     * @param stopsRoute whether a refused request's route ends with the 429 (HTTP, gRPC: it is the answer, and
     *                   counted as a refusal), or goes on with it as its body (batch: {@code batchOutcome} defers the
     *                   job, which is counted once it is done)
     */
    public TenantLimits(LimitStore limits, boolean stopsRoute, RefusalMeters refusals) {
        this.limits = limits;
        this.stopsRoute = stopsRoute;
        this.refusals = refusals;
    }

    @Override
    public boolean process(Exchange exchange, AsyncCallback callback) {
        Tenant tenant = exchange.getProperty(ExchangeProperties.TENANT, Tenant.class);
        if (!(exchange.getMessage().getBody() instanceof InferenceRequest request) || tenant == null
                || !tenant.quota().any() || exchange.getProperty(ExchangeProperties.LIMIT_GRANT) != null) {
            callback.done(true);
            return true;
        }
        long estimate = estimate(request);
        CompletableFuture<LimitStore.Verdict> verdict = limits.acquire(tenant, estimate).toCompletableFuture();
        if (verdict.isDone()) {
            // counted here (this replica's limits): the route goes on at once, on this thread
            decideOrFail(exchange, request, tenant, estimate, verdict);
            callback.done(true);
            return true;
        }
        // answered by Redis, on its connection's thread: the route goes on on its client's I/O thread, so that one
        // thread does not carry every limited tenant's requests (a batch job, with no client, goes on there)
        verdict.whenCompleteAsync((v, f) -> {
            decideOrFail(exchange, request, tenant, estimate, verdict);
            callback.done(false);
        }, ClientGone.loopOf(request));
        return false;
    }

    /** {@link #decide}, or the store's failure as the exchange's. */
    private void decideOrFail(Exchange exchange, InferenceRequest request, Tenant tenant, long estimate,
            CompletableFuture<LimitStore.Verdict> verdict) {
        try {
            decide(exchange, request, tenant, estimate, verdict.join());
        } catch (CompletionException e) {
            exchange.setException(e.getCause() != null ? e.getCause() : e);
        }
    }

    private void decide(Exchange exchange, InferenceRequest request, Tenant tenant, long estimate,
            LimitStore.Verdict verdict) {
        exchange.setProperty(ExchangeProperties.RATE_LIMITS, verdict);
        if (verdict.admitted()) {
            LimitGrant grant = new LimitGrant(limits, tenant, estimate);
            exchange.setProperty(ExchangeProperties.LIMIT_GRANT, grant);
            exchange.getExchangeExtension().addOnCompletion(grant);
        } else {
            ApiError refusal = refusal(tenant, verdict, estimate);
            if (stopsRoute) {
                refusals.refused(request.protocol(), tenant, request.model(), refusal);
            }
            exchange.getMessage().setBody(refusal);
            exchange.setRouteStop(stopsRoute);
        }
    }

    /**
     * The prompt's tokens as admission guesses them, a token per four characters, rounded up; the response's
     * {@code usage} corrects it. The completion is not guessed: it is counted when it is known.
     */
    static long estimate(InferenceRequest request) {
        return ((long) request.prefix().chars() + CHARS_PER_TOKEN - 1) / CHARS_PER_TOKEN;
    }

    /** The 429 of a request {@code verdict} refused: which of its tenant's limits, and when to try again. */
    static ApiError refusal(Tenant tenant, LimitStore.Verdict verdict, long estimate) {
        Quota quota = tenant.quota();
        String limit = switch (verdict.exceeded()) {
            case "requests" -> "requests per minute (limit " + limit(verdict.requests(), quota.requestsPerMinute())
                    + ")";
            case "tokens" -> "tokens per minute (limit " + limit(verdict.tokens(), quota.tokensPerMinute())
                    + ", this request " + estimate + " prompt tokens)";
            case "concurrency" -> "concurrent requests (limit " + quota.maxConcurrent() + ")";
            default -> verdict.exceeded();
        };
        long retryMillis = Math.max(1, verdict.retryAfterMillis());
        return new ApiError(429, "rate_limit_error", "rate_limit_exceeded", "Rate limit reached for tenant "
                + tenant.name() + " on " + limit + ". Please try again in " + RateLimitHeaders.duration(retryMillis)
                + ".", (int) Math.min(Integer.MAX_VALUE, (retryMillis + 999) / 1000));
    }

    /** The limit as this replica counts it (its share of the tenant's, when replicas count apart). */
    private static long limit(LimitStore.Window window, long configured) {
        return window != null ? window.limit() : configured;
    }
}
