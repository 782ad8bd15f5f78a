package ilb.inference;

import java.util.Map;

/**
 * A whole (not streamed) HTTP response: a backend's, passed to the client as it is, or one ilb answers itself.
 *
 * @param headers response headers worth passing on (lower-case names; no hop-by-hop headers)
 */
public record HttpReply(int status, Map<String, String> headers, byte[] body) implements InferenceMessage {

    public static HttpReply json(int status, String json) {
        return new HttpReply(status, Map.of("content-type", "application/json"),
                json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        return "HttpReply " + status + " (" + body.length + " bytes)";
    }
}
