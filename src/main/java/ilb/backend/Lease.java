package ilb.backend;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One request's place at a backend: holds a unit of its capacity (and a breaker permission) from the moment the
 * balancer picks it until the response is over. The outcome feeds the breaker, the latency estimate and the
 * learned limit.
 */
public final class Lease {

    private final Backend backend;
    private final long startNanos = System.nanoTime();
    private final int inFlightAtSend;
    private final AtomicBoolean released = new AtomicBoolean();

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

    /** The backend answered (even with a client error): a success for the breaker, a latency sample. */
    public void succeeded() {
        long elapsed = System.nanoTime() - startNanos;
        backend.breaker().onSuccess(elapsed, TimeUnit.NANOSECONDS);
        backend.latency().observe(elapsed, System.nanoTime());
        backend.observed(elapsed, inFlightAtSend, false, System.nanoTime());
        backend.succeeded();
    }

    /** The backend failed the request: counts against its breaker, and towards its ejection. */
    public void failed(String reason) {
        long elapsed = System.nanoTime() - startNanos;
        backend.breaker().onError(elapsed, TimeUnit.NANOSECONDS, new BackendFailedException(reason));
        backend.latency().observe(elapsed, System.nanoTime());
        backend.observed(elapsed, inFlightAtSend, true, System.nanoTime());
        backend.failed(reason);
    }

    /**
     * Neither success nor failure (the backend was merely full, the client left, or ilb refused the request or the
     * response): the breaker forgets the call.
     */
    public void ignored() {
        backend.breaker().releasePermission();
    }

    /** Gives the place back; only the first call counts. */
    public void release() {
        if (released.compareAndSet(false, true)) {
            backend.release();
        }
    }

    /** What the breaker records as the cause of a failed call. */
    static final class BackendFailedException extends RuntimeException {
        BackendFailedException(String reason) {
            super(reason, null, false, false);
        }
    }
}
