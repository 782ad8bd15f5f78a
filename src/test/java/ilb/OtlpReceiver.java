package ilb;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import com.google.protobuf.ByteString;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;

/**
 * A real OTLP/HTTP trace receiver on a free loopback port: takes {@code POST /v1/traces} bodies
 * ({@code application/x-protobuf}, ExportTraceServiceRequest) and keeps the spans for a test to look at.
 * <p>
 * It decodes them with OpenTelemetry's own messages ({@code io.opentelemetry.proto:opentelemetry-proto}), as a
 * collector would: what a test sees is what any OTLP receiver would read.
 */
public final class OtlpReceiver implements AutoCloseable {

    /** A span as exported: ids in lower-case hex, attributes as strings, longs, doubles or booleans. */
    public record ReceivedSpan(String serviceName, String traceId, String spanId, String parentSpanId, String name,
            int kind, long startNanos, long endNanos, Map<String, Object> attributes, List<String> events,
            List<String> links) {

        public static final int SERVER = 2;
        public static final int CLIENT = 3;
        public static final int CONSUMER = 5;
        public static final int INTERNAL = 1;

        public Object attribute(String key) {
            return attributes.get(key);
        }
    }

    private final HttpServer server;
    private final List<ReceivedSpan> spans = new CopyOnWriteArrayList<>();
    private final List<String> contentTypes = new CopyOnWriteArrayList<>();

    private OtlpReceiver(HttpServer server) {
        this.server = server;
    }

    public static OtlpReceiver start() {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(),
                    Appliance.freePort()), 16);
            OtlpReceiver receiver = new OtlpReceiver(server);
            server.createContext("/v1/traces", receiver::receive);
            server.start();
            return receiver;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The base URL, as {@code OTEL_EXPORTER_OTLP_ENDPOINT} takes it. */
    public String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public List<ReceivedSpan> spans() {
        return List.copyOf(spans);
    }

    /** The content type of every export received. */
    public List<String> contentTypes() {
        return List.copyOf(contentTypes);
    }

    private void receive(HttpExchange exchange) throws IOException {
        try (exchange; InputStream body = exchange.getRequestBody()) {
            if (!exchange.getRequestMethod().equals("POST")) {
                exchange.sendResponseHeaders(405, -1);
                return;
            }
            contentTypes.add(exchange.getRequestHeaders().getFirst("content-type"));
            exportRequest(body.readAllBytes());
            // an empty ExportTraceServiceResponse: all accepted
            exchange.getResponseHeaders().set("content-type", "application/x-protobuf");
            exchange.sendResponseHeaders(200, -1);
        }
    }

    private void exportRequest(byte[] body) throws IOException {
        for (ResourceSpans resource : ExportTraceServiceRequest.parseFrom(body).getResourceSpansList()) {
            Object service = attributes(resource.getResource().getAttributesList()).get("service.name");
            for (ScopeSpans scope : resource.getScopeSpansList()) {
                for (Span span : scope.getSpansList()) {
                    spans.add(new ReceivedSpan((String) service, hex(span.getTraceId()), hex(span.getSpanId()),
                            hex(span.getParentSpanId()), span.getName(), span.getKindValue(),
                            span.getStartTimeUnixNano(), span.getEndTimeUnixNano(),
                            attributes(span.getAttributesList()),
                            span.getEventsList().stream().map(Span.Event::getName).toList(),
                            span.getLinksList().stream().map(link -> hex(link.getTraceId()) + "-"
                                    + hex(link.getSpanId())).toList()));
                }
            }
        }
    }

    private static Map<String, Object> attributes(List<KeyValue> values) {
        Map<String, Object> attributes = new HashMap<>();
        for (KeyValue value : values) {
            AnyValue any = value.getValue();
            Object plain = switch (any.getValueCase()) {
                case STRING_VALUE -> any.getStringValue();
                case BOOL_VALUE -> any.getBoolValue();
                case INT_VALUE -> any.getIntValue();
                case DOUBLE_VALUE -> any.getDoubleValue();
                default -> null;
            };
            if (plain != null) {
                attributes.put(value.getKey(), plain);
            }
        }
        return attributes;
    }

    private static String hex(ByteString bytes) {
        return HexFormat.of().formatHex(bytes.toByteArray());
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
