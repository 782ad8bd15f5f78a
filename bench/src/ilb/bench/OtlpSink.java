package ilb.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.TreeMap;

import com.sun.net.httpserver.HttpServer;

/**
 * Where a traced ilb exports its spans: an OTLP/HTTP receiver on a free loopback port that answers every POST with
 * 200 and an empty (valid, empty protobuf) body, and counts what it was sent, by path, so that a run can show that
 * tracing was on ({@code /v1/traces}) and nothing else was exported. It decodes nothing: the bench measures ilb's
 * cost of tracing, not spans.
 */
final class OtlpSink implements AutoCloseable {

    /** What was posted to one path. */
    record Received(long requests, long bytes) {
    }

    static final String TRACES = "/v1/traces";

    private final HttpServer server;
    private final Map<String, Received> byPath = new TreeMap<>();

    private OtlpSink(HttpServer server) {
        this.server = server;
    }

    static OtlpSink start() {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            OtlpSink sink = new OtlpSink(server);
            server.createContext("/", exchange -> {
                long bytes;
                try (InputStream body = exchange.getRequestBody()) {
                    bytes = body.transferTo(OutputStream.nullOutputStream());
                }
                sink.count(exchange.getRequestURI().getPath(), bytes);
                exchange.getResponseHeaders().set("content-type", "application/x-protobuf");
                exchange.sendResponseHeaders(200, -1);
                exchange.close();
            });
            server.start();
            return sink;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The value of {@code OTEL_EXPORTER_OTLP_ENDPOINT}: the exporter appends {@code /v1/traces}. */
    String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private synchronized void count(String path, long bytes) {
        byPath.merge(path, new Received(1, bytes), (a, b) -> new Received(a.requests + b.requests, a.bytes + b.bytes));
    }

    /** What was posted to {@code path} so far. */
    synchronized Received received(String path) {
        return byPath.getOrDefault(path, new Received(0, 0));
    }

    /** Every path posted to so far, {@link #TRACES} among them if spans came. */
    synchronized Map<String, Received> all() {
        return new TreeMap<>(byPath);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
