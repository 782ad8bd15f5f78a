package ilb.admission;

/**
 * A tenant's limits, each 0 for none: requests and tokens (prompt and completion) a minute, and requests at once.
 * Per replica, or across all replicas when {@code ilb.limits.redis} is set.
 */
public record Quota(long requestsPerMinute, long tokensPerMinute, int maxConcurrent) {

    public static final Quota NONE = new Quota(0, 0, 0);

    public Quota {
        if (requestsPerMinute < 0 || tokensPerMinute < 0 || maxConcurrent < 0) {
            throw new IllegalArgumentException("a tenant's limits must be 0 (none) or more");
        }
    }

    public boolean any() {
        return requestsPerMinute > 0 || tokensPerMinute > 0 || maxConcurrent > 0;
    }
}
