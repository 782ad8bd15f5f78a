package ilb.protocols;

import java.nio.charset.StandardCharsets;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import ilb.inference.Api;
import ilb.inference.ApiError;

/** Error bodies in each API's own shape. */
final class ErrorBodies {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ErrorBodies() {
    }

    /** OpenAI: {@code {"error":{"message","type","param","code"}}}; KServe v2: {@code {"error":"message"}}. */
    static byte[] render(Api api, ApiError error) {
        ObjectNode body = JSON.createObjectNode();
        if (api == Api.KSERVE) {
            body.put("error", error.message());
        } else {
            body.putObject("error").put("message", error.message()).put("type", error.type()).putNull("param")
                    .put("code", error.code());
        }
        return body.toString().getBytes(StandardCharsets.UTF_8);
    }
}
