package ilb.admission;

import java.util.concurrent.CompletionStage;

/**
 * Where tenants' {@link Quota}s are counted: on this replica ({@link LocalLimits}), or for all replicas at once. A
 * request takes, all or nothing, one request and its estimated tokens of its tenant's minute and one place of its
 * concurrency; when its response ends, it settles: the tokens it really used correct the estimate, and its place is
 * given back. Implementations never block the calling thread (often a Netty event loop).
 */
public interface LimitStore {

    /** Takes a request, {@code tokens} tokens and a place from the tenant's quota if each is within it. */
    CompletionStage<Verdict> acquire(Tenant tenant, long tokens);

    /**
     * After a request {@link #acquire} admitted: takes {@code tokenCorrection} more tokens (less, when negative:
     * the estimate was too high, or the request failed) and gives its place back; with {@code requestBack}, its
     * request too (ilb answered it without a backend: shed, no backend free, a batch job deferred for want of spare
     * capacity, which will come again).
     */
    void settle(Tenant tenant, long tokenCorrection, boolean requestBack);

    /**
     * What a store says of one request.
     *
     * @param admitted         whether it may go (then its share was taken)
     * @param exceeded         the limit it is over when not admitted: {@code requests}, {@code tokens} or
     *                         {@code concurrency}; null when admitted
     * @param retryAfterMillis how long until it would be admitted, when not
     * @param requests         the tenant's requests of the minute, after this one; null without that limit
     * @param tokens           the tenant's tokens of the minute, after this one; null without that limit
     */
    record Verdict(boolean admitted, String exceeded, long retryAfterMillis, Window requests, Window tokens) {
    }

    /**
     * One per-minute limit as OpenAI's {@code x-ratelimit-*} headers tell it.
     *
     * @param limit       the most a minute
     * @param remaining   what may still be taken now
     * @param resetMillis until the limit is whole again
     */
    record Window(long limit, long remaining, long resetMillis) {
    }
}
