package ilb.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * An OpenAI chat completion request for the bench's model, serialized once, with the HTTP headers it goes with beyond
 * the client's own (a tenant's {@code authorization}, {@code x-ilb-priority}).
 */
record ChatRequest(byte[] body, boolean stream, int maxTokens, Map<String, String> headers) {

    static final String MODEL = "bench-model";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A chat of the given messages, each {@code {role, content}} in order. */
    static ChatRequest of(List<Message> messages, int maxTokens, boolean stream) {
        ObjectNode body = JSON.createObjectNode().put("model", MODEL);
        var array = body.putArray("messages");
        messages.forEach(m -> array.addObject().put("role", m.role()).put("content", m.content()));
        body.put("max_tokens", maxTokens).put("stream", stream);
        return new ChatRequest(bytes(body), stream, maxTokens, Map.of());
    }

    static ChatRequest user(String content, int maxTokens, boolean stream) {
        return of(List.of(new Message("user", content)), maxTokens, stream);
    }

    /** The same request with one more header (or another value of it). */
    ChatRequest withHeader(String name, String value) {
        Map<String, String> more = new LinkedHashMap<>(headers);
        more.put(name, value);
        return new ChatRequest(body, stream, maxTokens, Map.copyOf(more));
    }

    /** The same request sent with a tenant's key ({@code authorization: Bearer <key>}). */
    ChatRequest withApiKey(String apiKey) {
        return withHeader("authorization", "Bearer " + apiKey);
    }

    /** The same request on behalf of an end user: OpenAI's {@code user} field, what canary versions stick to. */
    ChatRequest fromEndUser(String user) {
        try {
            ObjectNode parsed = (ObjectNode) JSON.readTree(body);
            return new ChatRequest(bytes(parsed.put("user", user)), stream, maxTokens, headers);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] bytes(ObjectNode body) {
        try {
            return JSON.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    record Message(String role, String content) {
    }
}
