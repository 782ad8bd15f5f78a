package ilb.inference;

import java.util.Map;

/**
 * A whole (not streamed) HTTP response: a backend's, passed to the client as it is, or one ilb answers itself.
 *
 * @param headers response headers worth passing on (lower-case names; no hop-by-hop headers)
 */
public record HttpReply(int status, Map<String, String> headers, byte[] body) implements InferenceMessage {

    /** Longer waits than this, a server may ask for but not get: the reply is old news by then. */
    private static final long MAX_RETRY_AFTER_MILLIS = 60_000;

    /**
     * The reply's {@code Retry-After} (seconds) in milliseconds, at most a minute; {@code ifUnknown} when it has
     * none, or an HTTP date (rare from model servers).
     */
    public long retryAfterMillis(long ifUnknown) {
        String value = headers.get("retry-after");
        try {
            return value == null ? ifUnknown : Math.min(MAX_RETRY_AFTER_MILLIS, Long.parseLong(value.trim()) * 1000);
        } catch (NumberFormatException e) {
            return ifUnknown;
        }
    }

    public static HttpReply json(int status, String json) {
        return new HttpReply(status, Map.of("content-type", "application/json"),
                json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        return "HttpReply " + status + " (" + body.length + " bytes)";
    }
}
