package ilb.console;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Jolokia requests (POST, JSON) as any HTTP client sends them, as a user (basic auth) or as no one; from a page of
 * an origin (the console's Jolokia answers its own pages only) or from no page.
 */
final class JolokiaClient {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();
    private final String url;
    private final String authorization;
    private final String origin;

    private JolokiaClient(String url, String authorization, String origin) {
        this.url = url;
        this.authorization = authorization;
        this.origin = origin;
    }

    static JolokiaClient anonymous(String url) {
        return new JolokiaClient(url, null, null);
    }

    static JolokiaClient as(String url, String user, String password) {
        return new JolokiaClient(url, "Basic " + Base64.getEncoder()
                .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8)), null);
    }

    /** This client's requests with the Origin header of a page from there (http://host:port). */
    JolokiaClient from(String pageOrigin) {
        return new JolokiaClient(url, authorization, pageOrigin);
    }

    /** The origin of a url: the console's own, for a client of the console's Jolokia. */
    static String originOf(String url) {
        URI uri = URI.create(url);
        return uri.getScheme() + "://" + uri.getHost() + ":" + uri.getPort();
    }

    /** @return Jolokia's answer; its {@code status} is 200 when done, 403 when the policy refused it */
    JsonNode read(String mbean, String attribute) {
        return answer(send(request("read", mbean).put("attribute", attribute)));
    }

    JsonNode exec(String mbean, String operation, Object... arguments) {
        ObjectNode request = request("exec", mbean).put("operation", operation);
        request.putPOJO("arguments", arguments);
        return answer(send(request));
    }

    JsonNode write(String mbean, String attribute, Object value) {
        return answer(send(request("write", mbean).put("attribute", attribute).putPOJO("value", value)));
    }

    HttpResponse<String> send(JsonNode request) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(url)).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(request.toString()));
        if (authorization != null) {
            builder.header("authorization", authorization);
        }
        if (origin != null) {
            builder.header("origin", origin);
        }
        try {
            return http.send(builder.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Several requests in one POST, as Jolokia takes them. */
    static ArrayNode bulk(ObjectNode... requests) {
        ArrayNode bulk = JSON.createArrayNode();
        for (ObjectNode request : requests) {
            bulk.add(request);
        }
        return bulk;
    }

    static ObjectNode request(String type, String mbean) {
        return JSON.createObjectNode().put("type", type).put("mbean", mbean);
    }

    private static JsonNode answer(HttpResponse<String> response) {
        if (response.statusCode() != 200) {
            throw new AssertionError("Jolokia answered HTTP " + response.statusCode() + ": " + response.body());
        }
        try {
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
