package ilb.console;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Whether a login attempt may be verified now: each verification costs a PBKDF2 hash (~0.15 s of CPU, taken from
 * the inference path), so an address gets a few attempts, then waits twice as long after each further failure; and
 * all addresses together get at most so many verifications a second. An attempt counts as a failure from the start
 * (so that many at once from one address do not all get through) and is forgiven when it succeeds. An address quiet
 * for {@link #MAX_BACKOFF} after its last attempt or wait is forgotten. Time is the injected clock's, in nanoseconds.
 */
final class LoginThrottle {

    /** The longest wait of an address, and how long it must stay quiet after it to be forgotten. */
    static final Duration MAX_BACKOFF = Duration.ofMinutes(15);
    /** Addresses remembered at most: beyond, the least recently seen is forgotten (the global cap still holds). */
    private static final int MAX_ADDRESSES = 10_000;
    private static final long SECOND = 1_000_000_000L;

    enum Reason {
        /** this address failed too often lately */
        ADDRESS,
        /** all addresses together ask for more verifications a second than allowed */
        ALL
    }

    /**
     * @param retryAfterSeconds when to try again (at least 1), if refused
     * @param firstInAWhile the first refusal for this reason (and address) in a while: worth one line in the log
     */
    record Decision(boolean allowed, Reason reason, long retryAfterSeconds, boolean firstInAWhile) {

        private static final Decision ALLOWED = new Decision(true, null, 0, false);
    }

    private static final class Address {
        long charged;
        long lastAttempt;
        long blockedUntil;
        boolean warned;
    }

    private final int failuresAllowed;
    private final long firstBackoff;
    private final double perSecond;
    private final LongSupplier nanos;
    private final Map<String, Address> addresses = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Address> eldest) {
            return size() > MAX_ADDRESSES;
        }
    };
    private double tokens;
    private long refilledAt;
    private long lastGlobalRefusal;
    private boolean globalRefused;

    /**
     * @param failuresAllowed attempts an address may fail before it must wait
     * @param firstBackoff its first wait, doubled at each further failure up to {@link #MAX_BACKOFF}
     * @param verificationsPerSecond of all addresses together (also the burst)
     */
    LoginThrottle(int failuresAllowed, Duration firstBackoff, double verificationsPerSecond, LongSupplier nanos) {
        if (failuresAllowed < 1 || firstBackoff.isNegative() || firstBackoff.isZero() || verificationsPerSecond <= 0) {
            throw new IllegalArgumentException("login limits must be positive");
        }
        this.failuresAllowed = failuresAllowed;
        this.firstBackoff = firstBackoff.toNanos();
        this.perSecond = verificationsPerSecond;
        this.nanos = nanos;
        this.tokens = capacity();
        this.refilledAt = nanos.getAsLong();
    }

    /** Asks to verify an attempt from the address; an allowed attempt counts as failed until {@link #succeeded}. */
    synchronized Decision admit(String address) {
        long now = nanos.getAsLong();
        Address seen = addresses.get(address);
        if (seen != null && now - Math.max(seen.lastAttempt, seen.blockedUntil) >= MAX_BACKOFF.toNanos()) {
            addresses.remove(address);
            seen = null;
        }
        if (seen != null && now < seen.blockedUntil) {
            boolean first = !seen.warned;
            seen.warned = true;
            return new Decision(false, Reason.ADDRESS, seconds(seen.blockedUntil - now), first);
        }
        refill(now);
        if (tokens < 1) {
            boolean first = !globalRefused || now - lastGlobalRefusal >= MAX_BACKOFF.toNanos();
            globalRefused = true;
            lastGlobalRefusal = now;
            return new Decision(false, Reason.ALL, seconds((long) Math.ceil((1 - tokens) / perSecond * SECOND)), first);
        }
        tokens -= 1;
        if (seen == null) {
            seen = new Address();
            addresses.put(address, seen);
        }
        seen.charged++;
        seen.lastAttempt = now;
        if (seen.charged >= failuresAllowed) {
            seen.blockedUntil = now + backoff(seen.charged - failuresAllowed);
        }
        return Decision.ALLOWED;
    }

    /** The attempt was right: the address's failures are forgiven. */
    synchronized void succeeded(String address) {
        addresses.remove(address);
    }

    /** firstBackoff, doubled per failure beyond the allowed ones, at most MAX_BACKOFF (no overflow). */
    private long backoff(long beyond) {
        long wait = firstBackoff;
        for (long i = 0; i < beyond && wait < MAX_BACKOFF.toNanos(); i++) {
            wait *= 2;
        }
        return Math.min(wait, MAX_BACKOFF.toNanos());
    }

    private void refill(long now) {
        tokens = Math.min(capacity(), tokens + (now - refilledAt) * perSecond / SECOND);
        refilledAt = now;
    }

    private double capacity() {
        return Math.max(1, perSecond);
    }

    private static long seconds(long nanos) {
        return Math.max(1, (nanos + SECOND - 1) / SECOND);
    }
}
