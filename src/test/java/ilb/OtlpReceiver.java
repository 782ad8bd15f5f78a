package ilb;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * A real OTLP/HTTP trace receiver on a free loopback port: takes {@code POST /v1/traces} bodies
 * ({@code application/x-protobuf}, ExportTraceServiceRequest) and keeps the spans for a test to look at.
 * <p>
 * It reads the protobuf wire format itself (field numbers of opentelemetry/proto/trace/v1/trace.proto), not with
 * {@code io.opentelemetry.proto:opentelemetry-proto}: that artifact's classes are generated for protobuf-java 4
 * ({@code com.google.protobuf.RuntimeVersion}), while ilb's gRPC code is generated for, and runs on, protobuf-java 3.25.
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
            exportRequest(CodedInputStream.newInstance(body.readAllBytes()));
            // an empty ExportTraceServiceResponse: all accepted
            exchange.getResponseHeaders().set("content-type", "application/x-protobuf");
            exchange.sendResponseHeaders(200, -1);
        }
    }

    private void exportRequest(CodedInputStream in) throws IOException {
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            if (WireFormat.getTagFieldNumber(tag) == 1) {
                resourceSpans(nested(in));
            } else {
                in.skipField(tag);
            }
        }
    }

    private void resourceSpans(CodedInputStream in) throws IOException {
        String service = null;
        List<CodedInputStream> scopes = new ArrayList<>();
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> service = (String) attributes(nested(in), 1).get("service.name");
                case 2 -> scopes.add(nested(in));
                default -> in.skipField(tag);
            }
        }
        for (CodedInputStream scope : scopes) {
            for (int tag = scope.readTag(); tag != 0; tag = scope.readTag()) {
                if (WireFormat.getTagFieldNumber(tag) == 2) {
                    spans.add(span(service, nested(scope)));
                } else {
                    scope.skipField(tag);
                }
            }
        }
    }

    private static ReceivedSpan span(String service, CodedInputStream in) throws IOException {
        String traceId = "";
        String spanId = "";
        String parent = "";
        String name = "";
        int kind = 0;
        long start = 0;
        long end = 0;
        Map<String, Object> attributes = new HashMap<>();
        List<String> events = new ArrayList<>();
        List<String> links = new ArrayList<>();
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> traceId = hex(in);
                case 2 -> spanId = hex(in);
                case 4 -> parent = hex(in);
                case 5 -> name = in.readString();
                case 6 -> kind = in.readEnum();
                case 7 -> start = in.readFixed64();
                case 8 -> end = in.readFixed64();
                case 9 -> attributes.putAll(keyValue(nested(in)));
                case 11 -> events.add(eventName(nested(in)));
                case 13 -> links.add(link(nested(in)));
                default -> in.skipField(tag);
            }
        }
        return new ReceivedSpan(service, traceId, spanId, parent, name, kind, start, end, attributes, events, links);
    }

    private static String eventName(CodedInputStream in) throws IOException {
        String name = "";
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            if (WireFormat.getTagFieldNumber(tag) == 2) {
                name = in.readString();
            } else {
                in.skipField(tag);
            }
        }
        return name;
    }

    /** A link as {@code traceId-spanId}. */
    private static String link(CodedInputStream in) throws IOException {
        String traceId = "";
        String spanId = "";
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> traceId = hex(in);
                case 2 -> spanId = hex(in);
                default -> in.skipField(tag);
            }
        }
        return traceId + "-" + spanId;
    }

    /** The KeyValue attributes at {@code field} of a message (Resource: 1). */
    private static Map<String, Object> attributes(CodedInputStream in, int field) throws IOException {
        Map<String, Object> attributes = new HashMap<>();
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            if (WireFormat.getTagFieldNumber(tag) == field) {
                attributes.putAll(keyValue(nested(in)));
            } else {
                in.skipField(tag);
            }
        }
        return attributes;
    }

    private static Map<String, Object> keyValue(CodedInputStream in) throws IOException {
        String key = null;
        Object value = null;
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> key = in.readString();
                case 2 -> value = anyValue(nested(in));
                default -> in.skipField(tag);
            }
        }
        Map<String, Object> one = new HashMap<>();
        if (key != null && value != null) {
            one.put(key, value);
        }
        return one;
    }

    private static Object anyValue(CodedInputStream in) throws IOException {
        Object value = null;
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> value = in.readString();
                case 2 -> value = in.readBool();
                case 3 -> value = in.readInt64();
                case 4 -> value = in.readDouble();
                default -> in.skipField(tag);
            }
        }
        return value;
    }

    private static CodedInputStream nested(CodedInputStream in) throws IOException {
        return CodedInputStream.newInstance(in.readByteArray());
    }

    private static String hex(CodedInputStream in) throws IOException {
        return HexFormat.of().formatHex(in.readByteArray());
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
