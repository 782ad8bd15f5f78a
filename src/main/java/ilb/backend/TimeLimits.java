package ilb.backend;

import java.util.concurrent.TimeUnit;

import ilb.inference.BackendFailure;

/**
 * How long a backend call may take: the server may stay silent for {@code timeoutNanos} (before its response, or
 * between streamed chunks), and a response that is not a stream must be all in by {@code deadlineNanos} (a
 * {@link System#nanoTime()}). A stream is bound by silence alone: a long generation is fine while tokens keep coming.
 *
 * @param requestsOwn whether the deadline is the request's own (a batch job's share of its poll), earlier than the
 *                    backend's: running out of it is the request's lot, not the backend's failure
 */
public record TimeLimits(long timeoutNanos, long deadlineNanos, boolean requestsOwn) {

    /**
     * A request's limits at a backend, from {@code nowNanos}: the backend's timeout, and its deadline unless the
     * request has an earlier one of its own.
     *
     * @param requestDeadlineNanos the request's own deadline, or null for none
     */
    public static TimeLimits of(BackendSettings settings, Long requestDeadlineNanos, long nowNanos) {
        long deadline = nowNanos + TimeUnit.MILLISECONDS.toNanos(settings.deadlineMillis());
        boolean requestsOwn = requestDeadlineNanos != null && requestDeadlineNanos - deadline < 0;
        return new TimeLimits(TimeUnit.MILLISECONDS.toNanos(settings.timeoutMillis()),
                requestsOwn ? requestDeadlineNanos : deadline, requestsOwn);
    }

    /** Limits for a call that must be over, whatever it is, within {@code millis} from {@code nowNanos}. */
    public static TimeLimits within(long millis, long nowNanos) {
        long nanos = TimeUnit.MILLISECONDS.toNanos(millis);
        return new TimeLimits(nanos, nowNanos + nanos, false);
    }

    /**
     * Nanoseconds the call has left at {@code nowNanos}; none (0 or less) once it is out of time.
     *
     * @param quietSinceNanos when the server last sent anything, or {@code nowNanos} while the client holds it back
     * @param streaming       whether the response is known to be a stream
     */
    public long leftNanos(long nowNanos, long quietSinceNanos, boolean streaming) {
        long beforeSilence = timeoutNanos - (nowNanos - quietSinceNanos);
        return streaming ? beforeSilence : Math.min(beforeSilence, deadlineNanos - nowNanos);
    }

    /** Whether what ran out was the deadline, rather than the server's silence. */
    public boolean pastDeadline(long nowNanos, boolean streaming) {
        return !streaming && deadlineNanos - nowNanos <= 0;
    }

    /**
     * What a call with no response yet comes to when it runs out of time at {@code nowNanos}, sent at
     * {@code sentNanos}: past the request's own deadline, {@link BackendFailure.Kind#EXPIRED} (the request's lot);
     * past the backend's deadline or timeout, {@link BackendFailure.Kind#TIMEOUT}.
     *
     * @param streaming whether the response is known to be a stream
     */
    public BackendFailure outOfTime(long nowNanos, long sentNanos, boolean streaming) {
        if (!pastDeadline(nowNanos, streaming)) {
            return new BackendFailure(BackendFailure.Kind.TIMEOUT, "no response within "
                    + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms");
        }
        return new BackendFailure(requestsOwn ? BackendFailure.Kind.EXPIRED : BackendFailure.Kind.TIMEOUT,
                "the response was not complete by " + (requestsOwn ? "the request's" : "its") + " deadline, "
                + TimeUnit.NANOSECONDS.toMillis(nowNanos - sentNanos) + " ms after sending");
    }
}
