package ilb.admission;

/**
 * A per-minute limit as a bucket that refills continuously: {@code limit} a minute, at most {@code limit} held, full
 * at first. Pure arithmetic over an immutable state, so that this replica's count and the shared one in Redis
 * (the same steps in a Lua script: {@code RedisLimits}) agree. A taking may leave the level below zero (a request's
 * tokens are known only when it ends): the debt is paid back before the next is admitted.
 *
 * @param level       what may be taken now
 * @param stampMillis when the level was last brought up to date
 */
public record MinuteBucket(double level, long stampMillis) {

    private static final double MINUTE_MILLIS = 60_000;

    public static MinuteBucket full(long limit, long nowMillis) {
        return new MinuteBucket(limit, nowMillis);
    }

    /** The level at {@code nowMillis}: refilled since the stamp, at most the limit. */
    public MinuteBucket at(long limit, long nowMillis) {
        // in doubles: a long idle time by a large limit overflows a long
        double refilled = level + (double) Math.max(0, nowMillis - stampMillis) * limit / MINUTE_MILLIS;
        return new MinuteBucket(Math.min(limit, refilled), Math.max(stampMillis, nowMillis));
    }

    /**
     * Whether {@code amount} may be taken now: the level covers it, or (an amount larger than the whole limit)
     * the bucket is full.
     */
    public boolean allows(long limit, long amount) {
        return level >= need(limit, amount);
    }

    public MinuteBucket take(long amount, long limit) {
        return new MinuteBucket(Math.min(limit, level - amount), stampMillis);
    }

    /** Milliseconds until {@code amount} may be taken. */
    public long waitMillis(long limit, long amount) {
        return (long) Math.ceil(Math.max(0, need(limit, amount) - level) * MINUTE_MILLIS / limit);
    }

    /** What the level must be to take {@code amount}: never less than a trace, so a bucket in debt admits nothing. */
    private static double need(long limit, long amount) {
        return Math.max(Math.min(amount, limit), 1e-9);
    }

    /** The bucket as the {@code x-ratelimit-*} headers tell it. */
    public LimitStore.Window window(long limit) {
        return new LimitStore.Window(limit, (long) Math.max(0, Math.floor(level)),
                (long) Math.ceil((limit - level) * MINUTE_MILLIS / limit));
    }
}
