package ilb.telemetry;

import static ilb.PoolRoute.backend;
import static ilb.PoolRoute.pool;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import javax.management.MBeanServer;
import javax.management.ObjectName;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import ilb.Appliance;
import ilb.Servers;
import ilb.simulator.SimulatorOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * ilb's {@code /observe/metrics} as Prometheus itself sees it: {@code promtool check metrics} finds no problem with
 * ilb's metrics, and a real Prometheus server (Debian package {@code prometheus}) scrapes it every second and answers
 * queries over ilb's meters with what the test did: two simulated backends of known capacity, requests whole and
 * streamed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PrometheusScrapeTest {

    private static final Duration DEADLINE = Duration.ofSeconds(60);
    private static final Duration POLL = Duration.ofMillis(200);
    private static final int MAX_TOKENS = 6;
    private static final Pattern PROMPT_TOKENS = Pattern.compile("\"prompt_tokens\":(\\d+)");
    private static final Pattern COMPLETION_TOKENS = Pattern.compile("\"completion_tokens\":(\\d+)");

    /**
     * What {@code promtool check metrics} (2.42) says of metrics ilb does not name itself, and tolerated here until
     * they are fixed: Camel's {@code app.info} has no description; Camel's route event notifier gives no
     * description and camelCase tags ({@code camelContext}, {@code eventType}); Micrometer's processor binder
     * names a counter in nanoseconds and a gauge {@code _count}. Each may go away; no other may come.
     */
    /** The alert rules the README offers operators. */
    private static final Path RULES = Path.of("deploy", "prometheus-rules.yml");

    private final Servers servers = new Servers();
    private Appliance ilb;
    private int managementPort;
    private PrometheusServer prometheus;
    /** Prometheus' configuration and data, and the metrics text promtool checked. */
    private final Path dir = Path.of("target", "prometheus", "run-" + ProcessHandle.current().pid() + "-"
            + System.nanoTime());
    /** What the requests sent so far came to, from the responses ilb gave. */
    private final Map<String, Long> servedBy = new TreeMap<>();
    private long requests;
    private long streams;
    private long promptTokens;
    private long completionTokens;

    @BeforeAll
    void start() {
        // no binary, no test: fail at once, saying which is missing
        PrometheusServer.require(PrometheusServer.PROMETHEUS);
        PrometheusServer.require(PrometheusServer.PROMTOOL);
        managementPort = Appliance.freePort();
        // first, for its first scrape (some seconds after it starts) to come while ilb starts
        prometheus = PrometheusServer.start(dir, "ilb", "127.0.0.1:" + managementPort, "/observe/metrics", RULES);
        ilb = servers.ilb(pool("m", "round-robin",
                backend("a", servers.backend(new SimulatorOptions().models("m").ttftMs(2).itlMs(1)), "capacity: 8"),
                backend("b", servers.backend(new SimulatorOptions().models("m").ttftMs(2).itlMs(1)), "capacity: 16")),
                "camel.management.enabled=true", "camel.management.host=127.0.0.1",
                "camel.management.port=" + managementPort);
        // streams first, so that every meter a request makes is there by the time the last (whole) reply is in
        send(4, 6);
    }

    @AfterAll
    void stop() throws Exception {
        try {
            if (prometheus != null) {
                prometheus.close();
            }
        } finally {
            servers.close();
        }
    }

    @Test
    @Order(1)
    void promtoolFindsNoProblemInTheMetrics() throws Exception {
        HttpResponse<String> metrics = ilb.http().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + managementPort + "/observe/metrics")).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(metrics.statusCode()).isEqualTo(200);
        // kept beside Prometheus' data, to read when the check fails
        Files.writeString(dir.resolve("observe-metrics.txt"), metrics.body());

        PrometheusServer.Lint lint = PrometheusServer.checkMetrics(metrics.body());

        // 0: no problem; 3: lint problems, one a line as "<metric> <problem>"; else it could not parse the text
        List<String> problems = lint.output().lines().filter(line -> !line.isBlank()).toList();
        assertThat(problems).as("promtool check metrics: problems").isEmpty();
        assertThat(lint.exitCode()).as("promtool check metrics exit code").isZero();
        // the text had ilb's meters, the per-request ones too, or the check proved little
        assertThat(families(metrics.body())).contains("ilb_backend_capacity", "ilb_backend_requests_total",
                "ilb_requests_total", "ilb_backend_request_duration_seconds",
                "ilb_backend_time_to_first_token_seconds", "ilb_backend_inter_token_latency_seconds",
                "ilb_backend_tokens_total", "ilb_tokens_total");
    }

    /** The metric families a Prometheus text declares ({@code # TYPE name type}). */
    private static Set<String> families(String metrics) {
        return metrics.lines().filter(line -> line.startsWith("# TYPE ")).map(line -> line.split(" ")[2])
                .collect(Collectors.toCollection(TreeSet::new));
    }

    @Test
    @Order(2)
    void prometheusScrapesIlbAndSeesItsBackends() {
        awaitValue("up{job=\"ilb\"}", 1);
        awaitValue("ilb_backend_capacity{job=\"ilb\",backend=\"a\"}", 8);
        awaitValue("ilb_backend_capacity{job=\"ilb\",backend=\"b\"}", 16);
        awaitValue("ilb_backend_up{backend=\"a\"}", 1);
        awaitValue("ilb_backend_up{backend=\"b\"}", 1);
        awaitValue("ilb_backend_breaker_state{backend=\"a\",state=\"closed\"}", 1);
        awaitValue("sum(ilb_backend_in_flight)", 0);
    }

    /** The per-request meters count what was sent, in Prometheus too; rates over them make quantiles. */
    @Test
    @Order(3)
    void prometheusCountsTheRequestsAndTokens() {
        awaitCounters();
        // more requests after Prometheus has the first ones, for rate() to have an increase to see
        send(3, 5);
        awaitCounters();

        // a first token for each stream, per backend and per model
        awaitValue("sum(ilb_backend_time_to_first_token_seconds_count)", streams);
        awaitValue("sum(ilb_time_to_first_token_seconds_count{model=\"m\"})", streams);
        awaitSample("sum(ilb_backend_inter_token_latency_seconds_count)", v -> v > 0, "above 0");
        for (String histogram : List.of("ilb_backend_time_to_first_token_seconds",
                "ilb_backend_inter_token_latency_seconds", "ilb_backend_request_duration_seconds")) {
            awaitSample("histogram_quantile(0.5, sum by (le) (rate(" + histogram + "_bucket[1m])))",
                    v -> Double.isFinite(v) && v > 0, "a median over the last minute, finite and above 0");
        }
    }

    /**
     * The README's alert rules pass promtool, Prometheus evaluates every one of them without error against ilb's
     * metrics, and one fires when its condition comes: a pool whose backends are all drained.
     */
    @Test
    @Order(4)
    void theAlertRulesAreValidAndFireOnIlbsMetrics() throws Exception {
        PrometheusServer.Lint lint = PrometheusServer.checkRules(RULES);
        assertThat(lint.exitCode()).as("promtool check rules said:%n%s", lint.output()).isZero();

        await().atMost(DEADLINE).pollInterval(POLL).untilAsserted(() -> assertThat(prometheus.rules())
                .as("rules loaded from %s, each evaluated without error", RULES).hasSizeGreaterThanOrEqualTo(8)
                .allSatisfy(rule -> assertThat(rule.health()).as("%s: %s", rule.name(), rule.lastError())
                        .isEqualTo("ok")));
        awaitValue("count(ALERTS{alertname=\"IlbPoolWithoutBackends\"}) or vector(0)", 0);

        MBeanServer jmx = ManagementFactory.getPlatformMBeanServer();
        for (String backend : List.of("a", "b")) {
            jmx.invoke(new ObjectName("ilb:type=Backend,name=" + backend), "drain", null, null);
        }
        try {
            // pending for its "for:" minute, then firing
            awaitValue("count(ALERTS{alertname=\"IlbPoolWithoutBackends\",pool=\"pool-m\"})", 1);
        } finally {
            for (String backend : List.of("a", "b")) {
                jmx.invoke(new ObjectName("ilb:type=Backend,name=" + backend), "undrain", null, null);
            }
        }
    }

    /** Every counter comes to what the responses so far say. */
    private void awaitCounters() {
        awaitValue("sum(ilb_backend_requests_total{job=\"ilb\",outcome=\"success\"})", requests);
        awaitVector("sum by (backend) (ilb_backend_requests_total{outcome=\"success\"})", "backend", servedBy);
        awaitValue("sum(ilb_requests_total{model=\"m\",tenant=\"test\",outcome=\"success\"})", requests);
        awaitValue("sum(ilb_backend_request_duration_seconds_count)", requests);
        awaitValue("sum(ilb_backend_tokens_total{kind=\"prompt\"})", promptTokens);
        awaitValue("sum(ilb_backend_tokens_total{kind=\"completion\"})", completionTokens);
        awaitValue("sum(ilb_tokens_total{model=\"m\",tenant=\"test\",kind=\"prompt\"})", promptTokens);
        awaitValue("sum(ilb_tokens_total{model=\"m\",tenant=\"test\",kind=\"completion\"})", completionTokens);
    }

    /** Sends streamed chat completions, then whole ones, one after the other, and notes what they came to. */
    private void send(int streamed, int whole) {
        for (int i = 0; i < streamed + whole; i++) {
            boolean stream = i < streamed;
            HttpResponse<String> response = ilb.post("/v1/chat/completions", "{\"model\":\"m\",\"max_tokens\":"
                    + MAX_TOKENS + (stream ? ",\"stream\":true,\"stream_options\":{\"include_usage\":true}" : "")
                    + ",\"messages\":[{\"role\":\"user\",\"content\":\"count the requests\"}]}");
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            if (stream) {
                assertThat(response.body()).endsWith("data: [DONE]\n\n");
                streams++;
            }
            requests++;
            servedBy.merge(Appliance.servedBy(response), 1L, Long::sum);
            promptTokens += last(PROMPT_TOKENS, response.body());
            completionTokens += last(COMPLETION_TOKENS, response.body());
        }
        assertThat(servedBy.keySet()).containsOnly("a", "b");
    }

    private static long last(Pattern pattern, String body) {
        Matcher matcher = pattern.matcher(body);
        long value = -1;
        while (matcher.find()) {
            value = Long.parseLong(matcher.group(1));
        }
        assertThat(value).as("%s in %s", pattern, body).isPositive();
        return value;
    }

    private void awaitValue(String promql, double expected) {
        awaitSample(promql, v -> v == expected, String.valueOf(expected));
    }

    /**
     * Queries (Prometheus scrapes every second) until the result is one sample whose value passes; fails at the
     * deadline with what the query last gave.
     */
    private void awaitSample(String promql, Predicate<Double> wanted, String what) {
        await().atMost(DEADLINE).pollInterval(POLL).untilAsserted(() -> {
            List<PrometheusServer.Sample> result = prometheus.query(promql);
            assertThat(result).as("%s should be %s", promql, what).hasSize(1);
            assertThat(result.get(0).value()).as(promql).matches(wanted, "should be " + what);
        });
    }

    /** Queries until the samples, keyed by a label, are {@code expected}. */
    private void awaitVector(String promql, String label, Map<String, Long> expected) {
        await().atMost(DEADLINE).pollInterval(POLL).untilAsserted(() -> {
            Map<String, Long> samples = new TreeMap<>();
            prometheus.query(promql).forEach(s -> samples.merge(s.labels().get(label), (long) s.value(), Long::sum));
            assertThat(samples).as(promql).isEqualTo(expected);
        });
    }
}
