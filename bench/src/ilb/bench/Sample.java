package ilb.bench;

import java.util.Map;

/**
 * One request as the client saw it. Times are from the moment the request was meant to be sent (its place in the
 * arrival schedule), not from when it went out, so that a stalled system cannot hide queueing from the numbers.
 *
 * @param intendedNanos when it was meant to be sent ({@link System#nanoTime()})
 * @param ttftNanos     until the first streamed {@code data:} event; -1 when not streamed or none came
 * @param e2eNanos      until the response ended (or failed)
 * @param error         what went wrong ({@code http 503}, {@code timeout}, {@code connection closed}, ...); null if
 *                      it was a success
 * @param status        the response's HTTP status; 0 when none came
 * @param headers       the response headers the client was asked to keep ({@link LoadClient}), by lower-case name
 */
record Sample(long intendedNanos, long ttftNanos, long e2eNanos, String error, int status,
        Map<String, String> headers) {

    boolean ok() {
        return error == null;
    }

    /** A kept response header, or null. */
    String header(String name) {
        return headers.get(name);
    }
}
