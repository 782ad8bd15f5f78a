package ilb.telemetry;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import ilb.Appliance;

/**
 * A real Prometheus server (the Debian package's {@code /usr/bin/prometheus}) scraping one target every second,
 * on a free loopback port, with its data under {@code target/}; and {@code promtool}, which lints metrics text.
 * Both binaries must be there: a missing one fails the test with how to install it, it is never skipped.
 */
final class PrometheusServer implements AutoCloseable {

    static final Path PROMETHEUS = Path.of("/usr/bin/prometheus");
    static final Path PROMTOOL = Path.of("/usr/bin/promtool");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final Path log;
    private final int port;
    private final Thread killer;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private PrometheusServer(Process process, Path log, int port) {
        this.process = process;
        this.log = log;
        this.port = port;
        // should the JVM end before close (a test run stopped), the server goes with it
        this.killer = new Thread(process::destroyForcibly, "prometheus-killer");
        Runtime.getRuntime().addShutdownHook(killer);
    }

    /** Fails, saying how to install it, unless the binary is there. */
    static Path require(Path binary) {
        if (!Files.isExecutable(binary)) {
            throw new AssertionError(binary + " is missing: install the Debian package prometheus "
                    + "(apt-get install -y --no-install-recommends prometheus; .ci/run does)");
        }
        return binary;
    }

    /**
     * Starts Prometheus scraping {@code http://<target><metricsPath>} as job {@code job} every second, evaluating
     * the rules in {@code rules} every second, and returns once it is ready to answer queries.
     */
    static PrometheusServer start(Path dir, String job, String target, String metricsPath, Path rules) {
        require(PROMETHEUS);
        try {
            Files.createDirectories(dir);
            Path config = Files.writeString(dir.resolve("prometheus.yml"), """
                    global:
                      scrape_interval: 1s
                      scrape_timeout: 1s
                      evaluation_interval: 1s
                    rule_files: ["%s"]
                    scrape_configs:
                      - job_name: "%s"
                        metrics_path: "%s"
                        static_configs:
                          - targets: ["%s"]
                    """.formatted(rules.toAbsolutePath(), job, metricsPath, target));
            Path log = dir.resolve("prometheus.log");
            int port = Appliance.freePort();
            Process process = new ProcessBuilder(PROMETHEUS.toString(),
                    "--config.file=" + config,
                    "--storage.tsdb.path=" + dir.resolve("data"),
                    "--web.listen-address=127.0.0.1:" + port,
                    // the log goes to a file, for a failing test to show; warnings and errors only
                    "--log.level=warn")
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            PrometheusServer server = new PrometheusServer(process, log, port);
            try {
                server.awaitReady();
            } catch (RuntimeException | Error e) {
                server.close();
                throw e;
            }
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void awaitReady() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            if (!process.isAlive()) {
                throw new AssertionError("prometheus exited with " + process.exitValue() + ":\n" + log());
            }
            try {
                HttpResponse<Void> ready = http.send(HttpRequest.newBuilder(URI.create(url() + "/-/ready"))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding());
                if (ready.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("prometheus not ready within 30 s:\n" + log());
            }
            try {
                // polling: the process has no other way to say it is ready
                process.waitFor(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    String url() {
        return "http://127.0.0.1:" + port;
    }

    /** What Prometheus has logged (warnings and errors). */
    String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** One sample of an instant vector: its labels and value. */
    record Sample(Map<String, String> labels, double value) {
    }

    /** A loaded rule: its name, its health after its last evaluation ({@code ok}, {@code err}, {@code unknown}). */
    record Rule(String name, String health, String lastError) {
    }

    /** The rules Prometheus loaded, as {@code /api/v1/rules} lists them. */
    List<Rule> rules() {
        HttpResponse<String> response = get("/api/v1/rules");
        try {
            List<Rule> rules = new ArrayList<>();
            for (JsonNode group : JSON.readTree(response.body()).path("data").path("groups")) {
                for (JsonNode rule : group.path("rules")) {
                    rules.add(new Rule(rule.path("name").asText(), rule.path("health").asText(),
                            rule.path("lastError").asText()));
                }
            }
            return rules;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private HttpResponse<String> get(String pathAndQuery) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(url() + pathAndQuery)).timeout(Duration.ofSeconds(10))
                    .build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Runs an instant query ({@code /api/v1/query}) now; its result must be a vector, perhaps empty. */
    List<Sample> query(String promql) {
        HttpResponse<String> response = get("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
        try {
            JsonNode body = JSON.readTree(response.body());
            if (response.statusCode() != 200 || !"success".equals(body.path("status").asText())
                    || !"vector".equals(body.path("data").path("resultType").asText())) {
                throw new AssertionError("query " + promql + ": " + response.statusCode() + " " + response.body());
            }
            List<Sample> samples = new ArrayList<>();
            for (JsonNode result : body.path("data").path("result")) {
                Map<String, String> labels = new TreeMap<>();
                result.path("metric").fields().forEachRemaining(f -> labels.put(f.getKey(), f.getValue().asText()));
                // [ <unix time>, "<value>" ]; the value may be NaN or ±Inf
                samples.add(new Sample(labels, Double.parseDouble(result.path("value").path(1).asText()
                        .replace("Inf", "Infinity"))));
            }
            return samples;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What {@code promtool check metrics} said of a metrics text, and how it exited. */
    record Lint(int exitCode, String output) {
    }

    /** Runs {@code promtool check metrics} with the text on its standard input. */
    static Lint checkMetrics(String metrics) {
        return promtool(metrics, "check", "metrics");
    }

    /** Runs {@code promtool check rules} on a rules file. */
    static Lint checkRules(Path rules) {
        return promtool("", "check", "rules", rules.toString());
    }

    private static Lint promtool(String input, String... args) {
        require(PROMTOOL);
        try {
            List<String> command = new ArrayList<>(List.of(PROMTOOL.toString()));
            command.addAll(List.of(args));
            Process promtool = new ProcessBuilder(command).redirectErrorStream(true).start();
            try (var in = promtool.getOutputStream()) {
                in.write(input.getBytes(StandardCharsets.UTF_8));
            }
            String output = new String(promtool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!promtool.waitFor(60, TimeUnit.SECONDS)) {
                promtool.destroyForcibly();
                throw new AssertionError("promtool " + String.join(" ", args) + " did not finish within 60 s");
            }
            return new Lint(promtool.exitValue(), output);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Stops the server (SIGTERM, then SIGKILL if it lingers) and waits for it to be gone. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(15, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        try {
            Runtime.getRuntime().removeShutdownHook(killer);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs anyway
        }
    }
}
