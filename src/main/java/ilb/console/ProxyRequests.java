package ilb.console;

import java.io.IOException;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Jolokia's proxy requests: a POSTed request (or one of a bulk) with a {@code target} asks the agent to open a
 * JMX connection (RMI, JNDI) to any host. ilb's Jolokia endpoints manage this JVM only, so such a body is refused
 * before Jolokia reads it, and so is one that is not JSON (Jolokia's parser must not see what this one could not).
 */
final class ProxyRequests {

    /** Jolokia's answer to a refused request, in its own shape. */
    static final String REFUSAL = "{\"status\":403,\"error_type\":\"java.lang.SecurityException\","
            + "\"error\":\"proxy requests (target) are not served here\"}";
    /** Larger bodies are refused unread: the console's largest (bulk canInvoke) is far smaller. */
    static final int MAX_BODY_BYTES = 4 * 1024 * 1024;

    private static final ObjectMapper JSON = new ObjectMapper();

    private ProxyRequests() {
    }

    /** Whether a POSTed Jolokia body is to be refused: it names a target, or it is not JSON. */
    static boolean refused(byte[] body) {
        JsonNode requests;
        try {
            requests = JSON.readTree(body);
        } catch (IOException e) {
            return true;
        }
        if (requests == null) {
            return true;
        }
        if (requests.isArray()) {
            for (JsonNode request : requests) {
                if (request.has("target")) {
                    return true;
                }
            }
            return false;
        }
        return requests.has("target");
    }
}
