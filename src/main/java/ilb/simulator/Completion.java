package ilb.simulator;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** One OpenAI completion being generated: its JSON, whole or as stream chunks. */
record Completion(boolean chat, String id, String model, long created, int promptTokens, int outputTokens,
        String finishReason) {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** The simulator's vocabulary: token i is word i, round and round. */
    private static final String[] WORDS = ("the quick brown fox jumps over a lazy dog while seven bright models "
            + "stream tokens to patient users").split(" ");

    /** Token {@code index} as text: words separated by spaces. */
    static String piece(int index) {
        return (index == 0 ? "" : " ") + WORDS[index % WORDS.length];
    }

    String text() {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < outputTokens; i++) {
            text.append(piece(i));
        }
        return text.toString();
    }

    ObjectNode envelope(boolean chunk) {
        return JSON.createObjectNode().put("id", id)
                .put("object", chat ? (chunk ? "chat.completion.chunk" : "chat.completion") : "text_completion")
                .put("created", created).put("model", model);
    }

    ObjectNode choice(ObjectNode envelope) {
        return envelope.putArray("choices").addObject().put("index", 0).putNull("logprobs");
    }

    ObjectNode chunk(int index) {
        ObjectNode envelope = envelope(true);
        ObjectNode choice = choice(envelope);
        if (chat) {
            ObjectNode delta = choice.putObject("delta");
            if (index == 0) {
                delta.put("role", "assistant");
            }
            delta.put("content", piece(index));
        } else {
            choice.put("text", piece(index));
        }
        choice.putNull("finish_reason");
        return envelope;
    }

    ObjectNode finalChunk() {
        ObjectNode envelope = envelope(true);
        ObjectNode choice = choice(envelope);
        if (chat) {
            choice.putObject("delta");
        } else {
            choice.put("text", "");
        }
        choice.put("finish_reason", finishReason);
        return envelope;
    }

    ObjectNode usageChunk() {
        ObjectNode envelope = envelope(true);
        envelope.putArray("choices");
        usage(envelope);
        return envelope;
    }

    ObjectNode complete() {
        ObjectNode envelope = envelope(false);
        ObjectNode choice = choice(envelope);
        if (chat) {
            choice.putObject("message").put("role", "assistant").put("content", text());
        } else {
            choice.put("text", text());
        }
        choice.put("finish_reason", finishReason);
        usage(envelope);
        return envelope;
    }

    private void usage(ObjectNode envelope) {
        envelope.putObject("usage").put("prompt_tokens", promptTokens).put("completion_tokens", outputTokens)
                .put("total_tokens", promptTokens + outputTokens);
    }
}
