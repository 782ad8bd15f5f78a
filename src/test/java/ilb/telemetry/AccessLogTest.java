package ilb.telemetry;

import java.io.IOException;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.read.ListAppender;
import ch.qos.logback.core.status.Status;
import ch.qos.logback.core.status.StatusUtil;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import ilb.Appliance;
import ilb.Servers;
import ilb.simulator.SimulatedBackend;
import ilb.simulator.SimulatorOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.slf4j.event.KeyValuePair;

import static ilb.Appliance.chat;
import static ilb.PoolRoute.backend;
import static ilb.PoolRoute.pool;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** {@code ilb.accessLog=true}: one line per request on the logger {@code ilb.access}, refusals included. */
class AccessLogTest {

    private static final String LIMITED_KEY = "sk-limited";
    private static final String PROMPT = "hello there";

    private final Servers servers = new Servers();
    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
    private final Logger access = (Logger) LoggerFactory.getLogger(AccessLog.LOGGER);

    @BeforeEach
    void capture() {
        lines.start();
        access.addAppender(lines);
    }

    @AfterEach
    void stop() throws Exception {
        access.detachAppender(lines);
        servers.close();
    }

    private Appliance ilb(String... properties) {
        SimulatedBackend backend = servers.fastBackend();
        String[] all = new String[properties.length + 5];
        all[0] = "ilb.accessLog=true";
        // a second tenant, allowed one request a minute: its second is answered 429
        all[1] = "ilb.tenants=test,limited";
        all[2] = "ilb.tenant.limited.apiKeys=" + LIMITED_KEY;
        all[3] = "ilb.tenant.limited.models=*";
        all[4] = "ilb.tenant.limited.requestsPerMinute=1";
        System.arraycopy(properties, 0, all, 5, properties.length);
        return servers.ilb(pool("m", "round-robin", backend("b1", backend)), all);
    }

    private static Map<String, String> fields(ILoggingEvent line) {
        List<KeyValuePair> pairs = line.getKeyValuePairs();
        return pairs == null ? Map.of() : pairs.stream().collect(Collectors.toMap(p -> p.key, p -> String.valueOf(p.value)));
    }

    private HttpResponse<String> post(Appliance ilb, String key, String body, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(ilb.baseUrl() + "/v1/chat/completions"))
                .header("authorization", "Bearer " + key).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return ilb.send(request.build());
    }

    @Test
    void everyRequestHasOneLineWithWhatItCameTo() throws IOException {
        Appliance ilb = ilb();
        String unknownModel = "x".repeat(1000);

        assertThat(post(ilb, Appliance.API_KEY, chat("m", 3), "x-request-id", "req-200").statusCode()).isEqualTo(200);
        HttpResponse<InputStream> stream = ilb.openStream("m", 4);
        try (InputStream body = stream.body()) {
            assertThat(new String(body.readAllBytes(), StandardCharsets.UTF_8)).contains("[DONE]");
        }
        assertThat(post(ilb, "sk-wrong", chat("m", 2), "x-request-id", "req-401").statusCode()).isEqualTo(401);
        assertThat(post(ilb, Appliance.API_KEY, chat(unknownModel, 2), "x-request-id", "req-404").statusCode())
                .isEqualTo(404);
        assertThat(post(ilb, LIMITED_KEY, chat("m", 2)).statusCode()).isEqualTo(200);
        assertThat(post(ilb, LIMITED_KEY, chat("m", 2), "x-request-id", "req-429").statusCode()).isEqualTo(429);
        int sent = 6;

        await().untilAsserted(() -> assertThat(lines.list).hasSize(sent));
        Map<String, Map<String, String>> byId = lines.list.stream().map(AccessLogTest::fields)
                .collect(Collectors.toMap(f -> f.get("request_id"), f -> f, (a, b) -> a));
        assertThat(byId).hasSize(sent);

        assertThat(byId.get("req-200")).containsEntry("entry", "http").containsEntry("tenant", "test")
                .containsEntry("model", "m").containsEntry("priority", "standard").containsEntry("status", "200")
                .containsEntry("outcome", "success").containsEntry("backend", "b1").containsEntry("attempts", "1")
                .containsEntry("stream", "false").containsEntry("completion_tokens", "3")
                .containsKeys("time", "duration_ms", "prompt_tokens").doesNotContainKeys("queue_ms", "ttft_ms");
        Map<String, String> streamed = lines.list.stream().map(AccessLogTest::fields)
                .filter(f -> "true".equals(f.get("stream"))).findFirst().orElseThrow();
        assertThat(streamed).containsEntry("status", "200").containsEntry("outcome", "success")
                .containsEntry("completion_tokens", "4").containsKey("ttft_ms");
        assertThat(byId.get("req-401")).containsEntry("status", "401").containsEntry("outcome", "client_error")
                .doesNotContainKeys("tenant", "model", "backend");
        assertThat(byId.get("req-404")).containsEntry("status", "404").containsEntry("outcome", "client_error")
                .containsEntry("tenant", "test");
        assertThat(byId.get("req-429")).containsEntry("status", "429").containsEntry("outcome", "rate_limited")
                .containsEntry("tenant", "limited").containsEntry("model", "m");

        // the text says the same as the pairs; never a key, a prompt, or a client's long string whole
        ILoggingEvent ok = lines.list.stream().filter(l -> fields(l).get("request_id").equals("req-200")).findFirst()
                .orElseThrow();
        assertThat(ok.getFormattedMessage()).contains("request_id=req-200 ").contains(" status=200 ")
                .contains(" outcome=success ").contains(" queue_ms=- ");
        assertThat(lines.list).allSatisfy(line -> assertThat(line.getFormattedMessage())
                .doesNotContain(Appliance.API_KEY).doesNotContain(LIMITED_KEY).doesNotContain("sk-wrong")
                .doesNotContain(PROMPT).doesNotContain("tell a story").doesNotContain(unknownModel));
    }

    @Test
    void aClientGoneMidStreamIsLoggedAsGone() throws Exception {
        // a slow stream: 200 tokens, 50 ms apart
        SimulatedBackend slow = servers.backend(new SimulatorOptions().models("m").ttftMs(1).itlMs(50));
        Appliance ilb = servers.ilb(pool("m", "round-robin", backend("b1", slow)), "ilb.accessLog=true");
        String body = "{\"model\":\"m\",\"stream\":true,\"max_tokens\":200,\"messages\":[{\"role\":\"user\","
                + "\"content\":\"tell a story\"}]}";
        URI uri = URI.create(ilb.baseUrl());
        try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
            socket.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nhost: ilb\r\n"
                    + "authorization: Bearer " + Appliance.API_KEY + "\r\ncontent-type: application/json\r\n"
                    + "x-request-id: req-gone\r\ncontent-length: " + body.length() + "\r\n\r\n" + body)
                    .getBytes(StandardCharsets.US_ASCII));
            BufferedReader reader = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                    StandardCharsets.UTF_8));
            assertThat(reader.readLine()).startsWith("HTTP/1.1 200");
            // its first token, then the client goes
            for (String line = reader.readLine(); !line.startsWith("data:"); line = reader.readLine()) {
                assertThat(line).isNotNull();
            }
        }

        await().untilAsserted(() -> assertThat(lines.list).singleElement().satisfies(line ->
                assertThat(fields(line)).containsEntry("request_id", "req-gone").containsEntry("stream", "true")
                        .containsEntry("status", "200").containsEntry("outcome", "client_gone")));
    }

    @Test
    void aClientsRequestIdIsBoundedAndCannotBreakTheLine() {
        Appliance ilb = ilb();

        String id = "evil\tid " + "y".repeat(500);
        assertThat(post(ilb, Appliance.API_KEY, chat("m", 2), "x-request-id", id).statusCode()).isEqualTo(200);
        assertThat(post(ilb, Appliance.API_KEY, chat("m", 2)).statusCode()).isEqualTo(200);

        await().untilAsserted(() -> assertThat(lines.list).hasSize(2));
        String logged = fields(lines.list.get(0)).get("request_id");
        assertThat(logged).hasSize(RequestRecord.MAX_CLIENT_VALUE).startsWith("evil?id ");
        assertThat(lines.list.get(0).getFormattedMessage()).contains("request_id=\"evil?id yyy");
        // ilb's own id for a request that brought none
        assertThat(fields(lines.list.get(1)).get("request_id")).isNotBlank();
    }

    @Test
    void noLinesWhenOff() {
        SimulatedBackend backend = servers.fastBackend();
        Appliance ilb = servers.ilb(pool("m", "round-robin", backend("b1", backend)));

        assertThat(ilb.post("/v1/chat/completions", chat("m", 2)).statusCode()).isEqualTo(200);

        assertThat(ilb.context().getRegistry().lookupByNameAndType("ilbRequestRecords", RequestRecords.class)
                .enabled()).isFalse();
        assertThat(lines.list).isEmpty();
    }

    @Test
    void theJsonEncoderWritesTheFieldsAsJson() throws Exception {
        Appliance ilb = ilb();
        assertThat(post(ilb, Appliance.API_KEY, chat("m", 3), "x-request-id", "req-json").statusCode())
                .isEqualTo(200);
        await().untilAsserted(() -> assertThat(lines.list).hasSize(1));

        JsonEncoder encoder = (JsonEncoder) selectedEncoder("json");
        JsonNode json = new ObjectMapper().readTree(new String(encoder.encode(lines.list.get(0)),
                StandardCharsets.UTF_8));

        assertThat(json.get("loggerName").asText()).isEqualTo("ilb.access");
        assertThat(json.get("formattedMessage").asText()).startsWith("time=");
        Map<String, String> kvp = new java.util.HashMap<>();
        json.get("kvpList").forEach(pair -> pair.fields().forEachRemaining(f -> kvp.put(f.getKey(),
                f.getValue().asText())));
        assertThat(kvp).containsEntry("request_id", "req-json").containsEntry("status", "200")
                .containsEntry("outcome", "success").containsEntry("model", "m");
    }

    @Test
    void logbackXmlChoosesTextOrJsonByIlbLogFormat() throws Exception {
        assertThat(selectedEncoder(null)).isNotInstanceOf(JsonEncoder.class);
        assertThat(selectedEncoder("json")).isInstanceOf(JsonEncoder.class);
    }

    @Test
    void logbackXmlNeverLetsTheAccessLogStallAnEventLoop() throws Exception {
        LoggerContext context = configured("json");
        Logger access = context.getLogger(AccessLog.LOGGER);
        assertThat(access.isAdditive()).isFalse();
        AsyncAppender async = (AsyncAppender) access.getAppender("access");
        assertThat(async.isNeverBlock()).isTrue();
        assertThat(async.getDiscardingThreshold()).isZero();
        // to the same output, in the same format, as every other line
        assertThat(((OutputStreamAppender<ILoggingEvent>) async.getAppender("console")).getEncoder())
                .isInstanceOf(JsonEncoder.class);
    }

    /** The encoder of the root appender that src/main/resources/logback.xml sets up with this ilb.log.format. */
    private static ch.qos.logback.core.encoder.Encoder<ILoggingEvent> selectedEncoder(String format) throws Exception {
        Logger root = configured(format).getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        List<ch.qos.logback.core.Appender<ILoggingEvent>> appenders = new java.util.ArrayList<>();
        root.iteratorForAppenders().forEachRemaining(appenders::add);
        assertThat(appenders).hasSize(1);
        return ((OutputStreamAppender<ILoggingEvent>) appenders.get(0)).getEncoder();
    }

    /** A logging context as src/main/resources/logback.xml sets it up with this ilb.log.format. */
    private static LoggerContext configured(String format) throws Exception {
        LoggerContext context = new LoggerContext();
        if (format != null) {
            context.putProperty("ilb.log.format", format);
        }
        JoranConfigurator configurator = new JoranConfigurator();
        configurator.setContext(context);
        configurator.doConfigure(Path.of("src/main/resources/logback.xml").toFile());
        // a warning would also make logback print its whole status at every start
        assertThat(new StatusUtil(context).getHighestLevel(0)).isLessThan(Status.WARN);
        return context;
    }
}
