package ilb.console;

import java.io.IOException;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

/**
 * Jolokia's proxy requests: a POSTed request (or one of a bulk) with a {@code target} asks the agent to open a
 * JMX connection (RMI, JNDI) to any host. ilb's Jolokia endpoints manage this JVM only, so such a body is refused
 * before Jolokia reads it, and so is one that is not JSON (Jolokia's parser must not see what this one could not).
 */
final class ProxyRequests {

    /** Jolokia's answer to a refused request, in its own shape. */
    static final String REFUSAL = "{\"status\":403,\"error_type\":\"java.lang.SecurityException\","
            + "\"error\":\"proxy requests (target) are not served here\"}";
    /** Larger bodies are refused unread: the console's largest (a bulk canInvoke) is far smaller. */
    static final int MAX_BODY_BYTES = 1024 * 1024;

    private static final JsonFactory JSON = new JsonFactory();

    private ProxyRequests() {
    }

    /**
     * Whether a POSTed Jolokia body is to be refused: over {@link #MAX_BODY_BYTES}, naming a target, or not JSON.
     * Read as a stream of tokens, building nothing: a large body costs no more memory than itself.
     */
    static boolean refused(byte[] body) {
        if (body.length > MAX_BODY_BYTES) {
            return true;
        }
        try (JsonParser parser = JSON.createParser(body)) {
            JsonToken first = parser.nextToken();
            if (first == null) {
                return true;
            }
            if (first == JsonToken.START_OBJECT) {
                return namesTarget(parser);
            }
            if (first == JsonToken.START_ARRAY) {
                while (parser.nextToken() != JsonToken.END_ARRAY) {
                    if (parser.currentToken() == JsonToken.START_OBJECT ? namesTarget(parser) : skip(parser)) {
                        return true;
                    }
                }
            }
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    /** Reads one request object (the parser at its start) and says whether it has a target. */
    private static boolean namesTarget(JsonParser parser) throws IOException {
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            if (parser.currentName().equals("target")) {
                return true;
            }
            parser.nextToken();
            parser.skipChildren();
        }
        return false;
    }

    private static boolean skip(JsonParser parser) throws IOException {
        parser.skipChildren();
        return false;
    }
}
