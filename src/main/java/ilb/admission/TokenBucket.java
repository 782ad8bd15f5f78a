package ilb.admission;

import java.util.concurrent.TimeUnit;

/**
 * A rate limit: {@code perSecond} tokens a second, up to {@code burst} saved (it starts full); a request takes
 * one. Tokens can also be earned otherwise ({@link #add}).
 */
public final class TokenBucket {

    private final double perSecond;
    private final double burst;
    private double tokens;
    private long stamp = System.nanoTime();

    public TokenBucket(double perSecond, double burst) {
        this.perSecond = perSecond;
        this.burst = burst;
        this.tokens = burst;
    }

    /** Takes a token: 0 if there was one, else the milliseconds until there will be (nothing is taken then). */
    public synchronized long tryTake() {
        long now = System.nanoTime();
        tokens = Math.min(burst, tokens + perSecond * (now - stamp) / TimeUnit.SECONDS.toNanos(1));
        stamp = now;
        if (tokens >= 1) {
            tokens -= 1;
            return 0;
        }
        return perSecond > 0 ? (long) Math.ceil((1 - tokens) / perSecond * 1000) : Long.MAX_VALUE;
    }

    /** Adds tokens, up to the burst. */
    public synchronized void add(double earned) {
        tokens = Math.min(burst, tokens + earned);
    }
}
