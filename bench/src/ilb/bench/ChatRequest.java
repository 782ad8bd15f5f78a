package ilb.bench;

import java.util.List;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** An OpenAI chat completion request for the bench's model, serialized once. */
record ChatRequest(byte[] body, boolean stream, int maxTokens) {

    static final String MODEL = "bench-model";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A chat of the given messages, each {@code {role, content}} in order. */
    static ChatRequest of(List<Message> messages, int maxTokens, boolean stream) {
        ObjectNode body = JSON.createObjectNode().put("model", MODEL);
        var array = body.putArray("messages");
        messages.forEach(m -> array.addObject().put("role", m.role()).put("content", m.content()));
        body.put("max_tokens", maxTokens).put("stream", stream);
        try {
            return new ChatRequest(JSON.writeValueAsBytes(body), stream, maxTokens);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static ChatRequest user(String content, int maxTokens, boolean stream) {
        return of(List.of(new Message("user", content)), maxTokens, stream);
    }

    record Message(String role, String content) {
    }
}
