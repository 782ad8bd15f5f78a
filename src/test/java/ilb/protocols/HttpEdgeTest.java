package ilb.protocols;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import ilb.Appliance;
import ilb.RawBackend;
import ilb.Servers;
import ilb.simulator.SimulatedBackend;
import ilb.simulator.SimulatorOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.slf4j.LoggerFactory;

import static ilb.PoolRoute.backend;
import static ilb.PoolRoute.pool;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The inference API's edge, over raw sockets as an attacker or a broken client would use it: requests refused from
 * their heads alone cost no memory, stalled uploads hold no more than the byte budget and are closed by the read
 * timeout, idle connections close, the number of connections is bounded, and malformed paths are 400s in the API's
 * shape with no stack trace, while streams outlast every one of these timeouts.
 */
class HttpEdgeTest {

    private static final int MIB = 1024 * 1024;
    private static final Servers SERVERS = new Servers();
    private static Appliance ilb;
    private static HttpEdge edge;
    private static int port;

    @BeforeAll
    static void start() {
        SimulatedBackend models = SERVERS.backend(new SimulatorOptions().models("m", "resnet").ttftMs(1).itlMs(50));
        ilb = SERVERS.ilb(pool("m", "round-robin", backend("m-0", models))
                        + pool("resnet", "round-robin", backend("resnet-0", models)),
                "ilb.http.maxRequestBytes=" + 32 * MIB,
                "ilb.http.maxBufferedBytes=" + 64 * MIB,
                "ilb.http.requestReadTimeout=2s",
                "ilb.http.idleTimeout=1s",
                "ilb.http.maxConnections=40",
                "ilb.tenants=test,narrow",
                "ilb.tenant.narrow.apiKeys=sk-narrow",
                "ilb.tenant.narrow.models=m");
        edge = ilb.context().getRegistry().lookupByNameAndType("httpEdge", HttpEdge.class);
        port = Integer.parseInt(ilb.baseUrl().substring(ilb.baseUrl().lastIndexOf(':') + 1));
    }

    @AfterAll
    static void stop() throws Exception {
        SERVERS.close();
    }

    @Test
    void uploadsWithoutAKeyAreRefusedFromTheirHeadsAndCostNoMemory() throws Exception {
        int connections = 24;
        int unauthorized = 0;
        for (int i = 0; i < connections; i++) {
            try (Socket socket = connect()) {
                send(socket, head("POST", "/v1/chat/completions", null, 32L * MIB));
                // a part of the body, as the attacker sends it before going silent
                send(socket, new byte[64 * 1024]);
                String response = readResponse(socket);
                if (response.startsWith("HTTP/1.1 401")) {
                    unauthorized++;
                    assertThat(response).contains("\"code\":\"missing_api_key\"");
                }
                assertThat(closedByServer(socket)).isTrue();
            }
            assertThat(edge.bufferedBytes()).isZero();
        }
        assertThat(unauthorized).isEqualTo(connections);
    }

    @Test
    void stalledUploadsHoldNoMoreThanTheBudgetAndAreClosedByTheReadTimeout() throws Exception {
        // an ilb of its own, whose read timeout outlasts sending the uploads on a busy machine
        try (Servers servers = new Servers()) {
            SimulatedBackend backend = servers.fastBackend();
            Appliance own = servers.ilb(pool("m", "round-robin", backend("m-0", backend)),
                    "ilb.http.maxRequestBytes=" + 32 * MIB, "ilb.http.maxBufferedBytes=" + 64 * MIB,
                    "ilb.http.requestReadTimeout=8s");
            HttpEdge ownEdge = own.context().getRegistry().lookupByNameAndType("httpEdge", HttpEdge.class);
            int ownPort = Integer.parseInt(own.baseUrl().substring(own.baseUrl().lastIndexOf(':') + 1));
            long before = memoryInUse();
            int uploads = 6;
            List<Socket> sockets = new ArrayList<>();
            for (int i = 0; i < uploads; i++) {
                Socket socket = connect(ownPort);
                sockets.add(socket);
                try {
                    send(socket, head("POST", "/v1/chat/completions", Appliance.API_KEY, 31L * MIB));
                    // all of the 31 MiB body but its last MiB, then silence
                    byte[] chunk = new byte[MIB];
                    for (int sent = 0; sent < 30; sent++) {
                        send(socket, chunk);
                    }
                } catch (SocketException e) {
                    // the budget was full: ilb answered 503 and closed while the body was coming
                }
                assertThat(ownEdge.bufferedBytes()).isLessThanOrEqualTo(64L * MIB);
            }
            // two uploads of 30 MiB fit in 64 MiB
            await().untilAsserted(() -> assertThat(ownEdge.bufferedBytes()).isEqualTo(60L * MIB));
            long during = memoryInUse();
            System.out.printf("stalled uploads: %d MiB of heap and direct memory before, %d MiB with %d uploads"
                    + " started, budget 64 MiB%n", before / MIB, during / MIB, uploads);
            // six uploads of 31 MiB would be 186 MiB unbounded; the margin is for the allocator's pools and the GC
            assertThat(during - before).as("heap and direct memory held by stalled uploads (%d MiB before, %d MiB"
                    + " during)", before / MIB, during / MIB).isLessThan(64L * MIB + 64L * MIB);

            // the two held are answered 408 when their read timeout runs out; the others were refused at once
            Map<String, Integer> outcomes = new TreeMap<>();
            for (Socket socket : sockets) {
                try (socket) {
                    String response = readOrReset(socket);
                    outcomes.merge(response.startsWith("HTTP/1.1 408") ? "408" : response.startsWith("HTTP/1.1 503")
                            ? "503" : response, 1, Integer::sum);
                }
            }
            assertThat(outcomes.get("408")).as("outcomes %s", outcomes).isEqualTo(2);
            assertThat(outcomes.getOrDefault("503", 0) + outcomes.getOrDefault("reset", 0)).as("outcomes %s", outcomes)
                    .isEqualTo(uploads - 2);
            await().until(() -> ownEdge.bufferedBytes() == 0);
        }
    }

    @Test
    void aBodyInFlightCountsTwiceUntilItsResponseIsWritten() throws Exception {
        String body = "{\"model\":\"m\",\"max_tokens\":60,\"messages\":[{\"role\":\"user\",\"content\":\""
                + "x".repeat(MIB) + "\"}]}";
        // three seconds of generation: the body is held, as it came and as ilb read it, meanwhile
        var response = ilb.http().sendAsync(ilb.request("/v1/chat/completions").header("content-type",
                "application/json").POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        await().until(() -> edge.bufferedBytes() == 2L * body.length());
        assertThat(response.get().statusCode()).isEqualTo(200);
        await().until(() -> edge.bufferedBytes() == 0);
    }

    @Test
    void aRequestWhoseHeadersNeverEndIsClosedByTheReadTimeout() throws Exception {
        try (Socket socket = connect()) {
            send(socket, "POST /v1/chat/completions HTTP/1.1\r\nhost: ilb\r\nx-slow: 1".getBytes(StandardCharsets.UTF_8));
            assertThat(readResponse(socket)).startsWith("HTTP/1.1 408");
            assertThat(closedByServer(socket)).isTrue();
        }
    }

    @Test
    void anIdleKeepAliveConnectionIsClosed() throws Exception {
        try (Socket socket = connect()) {
            String chat = Appliance.chat("m", 1);
            send(socket, head("POST", "/v1/chat/completions", Appliance.API_KEY, chat.length()));
            send(socket, chat.getBytes(StandardCharsets.UTF_8));
            assertThat(readResponse(socket)).startsWith("HTTP/1.1 200");
            // then nothing: the server closes the connection after the idle timeout
            assertThat(closedByServer(socket)).isTrue();
        }
    }

    @Test
    void aStreamOutlastsTheReadAndIdleTimeouts() throws Exception {
        // 60 tokens 50 ms apart: three seconds, longer than both timeouts
        var response = ilb.openStream("m", 60);
        assertThat(response.statusCode()).isEqualTo(200);
        try (var body = response.body()) {
            String events = new String(body.readAllBytes(), StandardCharsets.UTF_8);
            assertThat(events).contains("data: [DONE]");
        }
    }

    @Test
    void bytesThatArriveDuringAStreamDoNotCutIt() throws Exception {
        try (Socket socket = connect()) {
            String chat = "{\"model\":\"m\",\"stream\":true,\"max_tokens\":60,"
                    + "\"messages\":[{\"role\":\"user\",\"content\":\"tell a story\"}]}";
            send(socket, head("POST", "/v1/chat/completions", Appliance.API_KEY, chat.length()));
            send(socket, chat.getBytes(StandardCharsets.UTF_8));
            InputStream in = socket.getInputStream();
            String first = new String(in.readNBytes(200), StandardCharsets.UTF_8);
            assertThat(first).startsWith("HTTP/1.1 200");
            // a stray line break, as clients may send between requests: three seconds of stream still to come
            send(socket, "\r\n".getBytes(StandardCharsets.UTF_8));
            ByteArrayOutputStream rest = new ByteArrayOutputStream();
            while (!rest.toString(StandardCharsets.UTF_8).contains("data: [DONE]")) {
                int b = in.read();
                if (b < 0) {
                    break;
                }
                rest.write(b);
            }
            assertThat(rest.toString(StandardCharsets.UTF_8)).contains("data: [DONE]");
        }
    }

    @Test
    void anExpectationIlbCannotMeetIsRefusedFromTheHead() throws Exception {
        try (Socket socket = connect()) {
            send(socket, ("POST /v1/chat/completions HTTP/1.1\r\nhost: ilb\r\nauthorization: Bearer "
                    + Appliance.API_KEY + "\r\nexpect: something-else\r\ncontent-length: " + 10 * MIB + "\r\n\r\n")
                    .getBytes(StandardCharsets.UTF_8));
            assertThat(readResponse(socket)).startsWith("HTTP/1.1 417").contains("\"code\":\"expectation_failed\"");
            assertThat(closedByServer(socket)).isTrue();
        }
        assertThat(edge.bufferedBytes()).isZero();
    }

    @Test
    void aClientThatExpects100ContinueIsServed() throws Exception {
        try (Socket socket = connect()) {
            String chat = Appliance.chat("m", 1);
            send(socket, ("POST /v1/chat/completions HTTP/1.1\r\nhost: ilb\r\nauthorization: Bearer "
                    + Appliance.API_KEY + "\r\nexpect: 100-continue\r\ncontent-type: application/json\r\n"
                    + "content-length: " + chat.length() + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
            assertThat(readResponse(socket)).startsWith("HTTP/1.1 100");
            send(socket, chat.getBytes(StandardCharsets.UTF_8));
            assertThat(readResponse(socket)).startsWith("HTTP/1.1 200");
        }
        await().until(() -> edge.bufferedBytes() == 0);
    }

    @Test
    void connectionsOverTheLimitAreRefused() throws Exception {
        List<Socket> open = new ArrayList<>();
        try {
            await().until(() -> edge.connections() == 0);
            for (int i = 0; i < 40; i++) {
                open.add(connect());
            }
            await().until(() -> edge.connections() == 40);
            try (Socket extra = connect()) {
                String response = readResponse(extra);
                assertThat(response).startsWith("HTTP/1.1 503").contains("retry-after: 1")
                        .contains("too_many_connections");
                assertThat(closedByServer(extra)).isTrue();
            }
        } finally {
            for (Socket socket : open) {
                socket.close();
            }
        }
        await().until(() -> edge.connections() == 0);
        assertThat(ilb.post("/v1/chat/completions", Appliance.chat("m", 1)).statusCode()).isEqualTo(200);
    }

    @ParameterizedTest
    @CsvSource({
        "POST, /v1/chat/completions, sk-wrong, 401, invalid_api_key",
        "POST, /v1/chat/completions, , 401, missing_api_key",
        "POST, /v1/chat/completions, sk-test, 413, request_too_large",
        "POST, /v1/chat/complete, sk-test, 404, unknown_url",
        "PUT, /v1/chat/completions, sk-test, 405, method_not_allowed",
        "POST, /v2/models/nope/infer, sk-test, 404, is not found",
        "POST, /v2/models/resnet/infer, sk-narrow, 403, may not use"})
    void aRequestRefusedByItsHeadIsAnsweredBeforeItsBody(String method, String path, String key, int status,
            String says) throws Exception {
        try (Socket socket = connect()) {
            // the head says a body follows; none is sent
            send(socket, head(method, path, key, status == 413 ? 33L * MIB : 10 * MIB));
            String response = readResponse(socket);
            assertThat(response).startsWith("HTTP/1.1 " + status).contains("content-type: application/json");
            assertThat(response.replace("'", " ").replace("`", " ")).containsIgnoringCase(says.replace("'", " "));
            assertThat(closedByServer(socket)).isTrue();
        }
        assertThat(edge.bufferedBytes()).isZero();
    }

    @ParameterizedTest
    @CsvSource({
        "GET, /%zz",
        "GET, /v1/models/%",
        "POST, /v1/chat/completions%zz",
        "GET, /%C3%28",
        "POST, /v2/models/resnet/versions/1%20x/infer",
        "POST, /v2/models/resnet/versions/..%252F..%252Fother/infer",
        "POST, /v2/models/resnet/versions/..%2F..%2Fother/infer",
        "POST, /v2/models/resnet%2F..%2Fm/infer",
        "POST, /v2/models/resnet/versions/1%00/infer",
        "POST, /v2/models/resnet/versions/1%3Fx/infer",
        "POST, /v2/models/resnet/versions/1%23x/infer",
        "GET, /v2/models/resnet/versions/..",
        "GET, /v2/models/resnet%09/ready"})
    void aMalformedPathIsA400InTheApisShapeWithNoStackTrace(String method, String path) throws Exception {
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        log.start();
        root.addAppender(log);
        try (Socket socket = connect()) {
            String body = "{\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"datatype\":\"FP32\",\"data\":[1]}]}";
            send(socket, head(method, path, Appliance.API_KEY, method.equals("POST") ? body.length() : 0));
            if (method.equals("POST")) {
                send(socket, body.getBytes(StandardCharsets.UTF_8));
            }
            String response = readResponse(socket);
            assertThat(response).startsWith("HTTP/1.1 400");
            String json = response.substring(response.indexOf("\r\n\r\n") + 4);
            assertThat(json).startsWith(path.startsWith("/v2") ? "{\"error\":\"" : "{\"error\":{\"message\":");
        } finally {
            root.detachAppender(log);
        }
        assertThat(log.list).noneMatch(event -> event.getLevel().isGreaterOrEqual(Level.WARN)
                || event.getThrowableProxy() != null);
    }

    @Test
    void anOpenAiPathIsForwardedAsIlbReadItNotAsWritten() throws Exception {
        try (Servers servers = new Servers()) {
            RawBackend backend = servers.raw(out -> out.write(("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                    + "content-length: 2\r\n\r\n{}").getBytes(StandardCharsets.US_ASCII)));
            Appliance own = servers.ilb(pool("m", "round-robin", backend("raw", backend.url(), "healthPath: ",
                    "metricsPath: ")));
            var response = own.post("/v1/%63hat/completions?trace=1", Appliance.chat("m", 1));
            assertThat(response.statusCode()).isEqualTo(200);
            // decoded once by ilb: the backend gets the path ilb routed by, and nothing to decode again
            assertThat(backend.requestLines()).containsExactly("POST /v1/chat/completions?trace=1 HTTP/1.1");
        }
    }

    @Test
    void aVersionWithAPlusIsOneSegmentAsWritten() {
        // '+' is a plus in a path, not a space: the backend is asked for version "1+2", which it does not serve
        var response = ilb.post("/v2/models/resnet/versions/1+2/infer",
                "{\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"datatype\":\"FP32\",\"data\":[1]}]}");
        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(ilb.backend("resnet-0").breaker().getMetrics().getNumberOfFailedCalls()).isZero();
    }

    private static Socket connect() throws IOException {
        return connect(port);
    }

    private static Socket connect(int port) throws IOException {
        Socket socket = new Socket("127.0.0.1", port);
        // a bound on every read, so that a test that fails does not hang; the server's timeouts are shorter
        socket.setSoTimeout((int) Duration.ofSeconds(30).toMillis());
        return socket;
    }

    private static byte[] head(String method, String path, String key, long contentLength) {
        String head = method + " " + path + " HTTP/1.1\r\nhost: ilb\r\ncontent-type: application/json\r\n"
                + (key == null || key.isEmpty() ? "" : "authorization: Bearer " + key + "\r\n")
                + "content-length: " + contentLength + "\r\n\r\n";
        return head.getBytes(StandardCharsets.UTF_8);
    }

    private static void send(Socket socket, byte[] bytes) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(bytes);
        out.flush();
    }

    /** A response with a content-length body (ilb's own answers have one): its head and body. */
    private static String readResponse(Socket socket) throws IOException {
        InputStream in = socket.getInputStream();
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                return head.toString(StandardCharsets.UTF_8);
            }
            head.write(b);
        }
        String text = head.toString(StandardCharsets.UTF_8);
        int length = 0;
        for (String line : text.split("\r\n")) {
            if (line.toLowerCase().startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(15).trim());
            }
        }
        return text + new String(in.readNBytes(length), StandardCharsets.UTF_8);
    }

    /** The response, or "reset" when the server's close reset the connection before it could be read. */
    private static String readOrReset(Socket socket) throws IOException {
        try {
            String response = readResponse(socket);
            return response.isEmpty() ? "reset" : response;
        } catch (SocketException e) {
            return "reset";
        }
    }

    /** Whether the server closed the connection (the next read ends the stream, or the connection was reset). */
    private static boolean closedByServer(Socket socket) throws IOException {
        try {
            return socket.getInputStream().read() < 0;
        } catch (SocketException e) {
            return e.getMessage().contains("reset");
        }
    }

    /** Heap in use after a collection, and direct buffers: what request bodies could be held in. */
    private static long memoryInUse() {
        System.gc();
        long direct = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(pool -> pool.getName().equals("direct")).mapToLong(BufferPoolMXBean::getMemoryUsed).sum();
        long nettyDirect = Math.max(0, io.netty.util.internal.PlatformDependent.usedDirectMemory());
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() + direct + nettyDirect;
    }
}
