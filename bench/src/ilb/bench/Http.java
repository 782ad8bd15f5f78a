package ilb.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Blocking HTTP for the odd control request (readiness, metrics), never for load. */
final class Http {

    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();
    /** For {@code https://} urls: trusts the bench's authority ({@link BenchTls}); made when first needed. */
    private static HttpClient tlsClient;

    private Http() {
    }

    static HttpResponse<String> get(String url) {
        return send(HttpRequest.newBuilder(URI.create(url)).GET());
    }

    static HttpResponse<String> post(String url, ChatRequest request) {
        return send(HttpRequest.newBuilder(URI.create(url + "/v1/chat/completions"))
                .header("content-type", "application/json").header("authorization", "Bearer sk-ilb-demo")
                .POST(HttpRequest.BodyPublishers.ofByteArray(request.body())));
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) {
        HttpRequest built = request.timeout(Duration.ofSeconds(10)).build();
        try {
            return client(built.uri()).send(built, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static synchronized HttpClient client(URI uri) {
        if (!uri.getScheme().equals("https")) {
            return CLIENT;
        }
        if (tlsClient == null) {
            tlsClient = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(2)).sslContext(BenchTls.current().jdkClient()).build();
        }
        return tlsClient;
    }
}
