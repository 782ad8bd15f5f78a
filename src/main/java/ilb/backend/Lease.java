package ilb.backend;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import ilb.inference.BackendStream;

/**
 * One request's place at a backend: holds a unit of its capacity (and a breaker permission) from the moment the
 * balancer picks it until the response is over. It is ended once, by its {@link Outcome}, which feeds the breaker,
 * the latency estimate, the learned limit and outlier ejection, and gives the place back.
 */
public final class Lease {

    /**
     * What an attempt came to, as far as its backend goes.
     *
     * @param reason     why it failed ({@link Kind#FAILED}, {@link Kind#UNREACHABLE}); empty otherwise
     * @param coolMillis how long the backend asked to be left alone ({@link Kind#FULL}); 0 otherwise
     */
    public record Outcome(Kind kind, String reason, long coolMillis) {

        public enum Kind {
            /** The backend answered (even with a client error): a success for the breaker, a latency sample. */
            SERVED,
            /** The backend failed the request: counts against its breaker, and towards its ejection. */
            FAILED,
            /** It failed and could not even be reached: it is also taken out until found up again. */
            UNREACHABLE,
            /** It was full (429): neither success nor failure, and it gets nothing for a while. */
            FULL,
            /** Nothing to judge it by (cancelled, the client left, ilb refused): the breaker forgets the call. */
            EXCUSED
        }

        public static final Outcome SERVED = new Outcome(Kind.SERVED, "", 0);
        public static final Outcome EXCUSED = new Outcome(Kind.EXCUSED, "", 0);

        public static Outcome failed(String reason) {
            return new Outcome(Kind.FAILED, reason, 0);
        }

        public static Outcome unreachable(String reason) {
            return new Outcome(Kind.UNREACHABLE, reason, 0);
        }

        public static Outcome full(long coolMillis) {
            return new Outcome(Kind.FULL, "", coolMillis);
        }
    }

    private final Backend backend;
    private final long startNanos = System.nanoTime();
    private final int inFlightAtSend;
    private final AtomicBoolean ended = new AtomicBoolean();

    /** @param inFlightAtSend requests in flight at the backend with this one */
    Lease(Backend backend, int inFlightAtSend) {
        this.backend = backend;
        this.inFlightAtSend = inFlightAtSend;
    }

    public Backend backend() {
        return backend;
    }

    /** {@link System#nanoTime()} when the place was taken, just before the request was sent. */
    public long startNanos() {
        return startNanos;
    }

    /**
     * Records what the attempt came to and gives the place back; only the first end of a lease counts. Cooling and
     * marking down happen before the place is given back, so that no request waiting for one takes it meanwhile.
     */
    public void end(Outcome outcome) {
        if (!ended.compareAndSet(false, true)) {
            return;
        }
        record(outcome);
        switch (outcome.kind()) {
            case FULL -> backend.coolFor(outcome.coolMillis());
            case UNREACHABLE -> backend.markDown(outcome.reason());
            default -> { }
        }
        backend.release();
    }

    /**
     * Ends the lease of a streamed response, which reaches the balancer with its first chunk: served, its time to
     * first token the latency sample, now; the place is given back when the stream is done, however it ends.
     */
    public void endWhenDone(BackendStream stream) {
        if (ended.compareAndSet(false, true)) {
            record(Outcome.SERVED);
            stream.whenDone(normally -> backend.release());
        }
    }

    private void record(Outcome outcome) {
        long now = System.nanoTime();
        long elapsed = now - startNanos;
        switch (outcome.kind()) {
            case SERVED -> {
                backend.breaker().onSuccess(elapsed, TimeUnit.NANOSECONDS);
                backend.latency().observe(elapsed, now);
                backend.observed(elapsed, inFlightAtSend, false, now);
                backend.succeeded();
                backend.recent().served(elapsed, now);
            }
            case FAILED, UNREACHABLE -> {
                backend.breaker().onError(elapsed, TimeUnit.NANOSECONDS,
                        new BackendFailedException(outcome.reason()));
                backend.latency().observe(elapsed, now);
                backend.observed(elapsed, inFlightAtSend, true, now);
                backend.failed(outcome.reason());
                backend.recent().failed(now);
            }
            case FULL, EXCUSED -> backend.breaker().releasePermission();
        }
    }

    /** What the breaker records as the cause of a failed call. */
    static final class BackendFailedException extends RuntimeException {
        BackendFailedException(String reason) {
            super(reason, null, false, false);
        }
    }
}
