package ilb;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import ilb.simulator.SimulatedBackend;
import ilb.simulator.SimulatorOptions;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distribution as an operator runs it: {@code target/ilb-<version>.tar.gz} (mvn package) unpacked elsewhere, its
 * {@code bin/ilb} started from another directory with a config and a routes folder of the test's own, and the
 * {@code java} of the PATH. Run by maven-failsafe after packaging ({@code ilb.distribution}, pom.xml).
 */
class DistributionIT {

    private static final String KEY = "sk-team-1";
    private static final Path LOGS = Path.of("target", "distribution-it");

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;

    /**
     * The prod profile: the config dir's tenant serves OpenAI requests through the routes dir's pool (reloaded when
     * edited), and each layer of properties overrides the one below: env over -D over the config file over the jar's
     * defaults.
     */
    @Test
    void servesFromAnyDirectoryWithTheOperatorsConfigAndRoutes() throws Exception {
        try (Servers servers = new Servers()) {
            SimulatedBackend sim0 = servers.backend(new SimulatorOptions().models("m").ttftMs(1).itlMs(1));
            SimulatedBackend sim1 = servers.backend(new SimulatorOptions().models("m").ttftMs(1).itlMs(1));
            Path home = unpack();
            int httpPort = Appliance.freePort();
            int managementPort = Appliance.freePort();
            int consolePort = Appliance.freePort();
            Path config = config(
                    // only here: the jar's default is 8080
                    "ilb.http.port = " + httpPort,
                    // decoys, overridden by the environment and by -D below
                    "ilb.management.port = " + Appliance.freePort(),
                    "ilb.console.port = " + Appliance.freePort());
            Path routes = routes(home, PoolRoute.pool("m", "round-robin",
                    PoolRoute.backend("sim-0", sim0), PoolRoute.backend("sim-1", sim1)));
            ProcessBuilder ilb = launcher(home, "prod-run", config, routes, Map.of(
                    "ILB_PROFILE", "prod",
                    "ILB_MANAGEMENT_PORT", String.valueOf(managementPort),
                    "ILB_JAVA_OPTS", "-Xmx512m -XX:TieredStopAtLevel=1 -Dilb.console.port=" + consolePort));

            run(ilb, managementPort, process -> {
                Set<String> servedBy = new HashSet<>();
                for (int i = 0; i < 4; i++) {
                    HttpResponse<String> answer = chat(httpPort, KEY);
                    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
                    assertThat(answer.body()).contains("\"choices\"");
                    servedBy.add(answer.headers().firstValue("x-ilb-backend").orElse("none"));
                }
                assertThat(servedBy).containsExactlyInAnyOrder("sim-0", "sim-1");
                assertThat(sim0.inferenceRequests() + sim1.inferenceRequests()).isEqualTo(4);

                assertThat(chat(httpPort, null).statusCode()).as("no key").isEqualTo(401);
                assertThat(chat(httpPort, "sk-ilb-demo").statusCode()).as("the dev profile's demo key").isEqualTo(401);
                assertThat(send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + consolePort + "/hawtio/"))
                        .build()).statusCode()).as("the console on the -D port").isBetween(200, 399);
                // ILB_ROUTES_DIR is the folder watched for changes too: a pool edited there is reloaded
                Files.writeString(routes.resolve("pool-m.yaml"),
                        PoolRoute.pool("m", "round-robin", PoolRoute.backend("sim-1-reloaded", sim1)));
                Awaitility.await("the edited pool route reloaded").atMost(Duration.ofSeconds(30))
                        .pollInterval(Duration.ofMillis(200)).until(() -> chat(httpPort, KEY).headers()
                                .firstValue("x-ilb-backend").orElse("none").equals("sim-1-reloaded"));

                // exec java: the launcher's PID, written for drain, is the JVM's
                assertThat(Files.readString(dir.resolve("ilb.pid")).trim()).isEqualTo(String.valueOf(process.pid()));

                process.destroy();
                assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("exited on SIGTERM").isTrue();
                assertThat(process.exitValue()).isIn(0, 143);
            });
        }
    }

    /**
     * The config file overrides the profile's file too: in the dev profile, its tenant replaces the demo tenant and
     * its switches turn the demo fleet and broker off. {@code bin/ilb drain} then stops ilb.
     */
    @Test
    void configOverridesTheProfileAndDrainStopsIlb() throws Exception {
        try (Servers servers = new Servers()) {
            SimulatedBackend sim = servers.backend(new SimulatorOptions().models("m").ttftMs(1).itlMs(1));
            Path home = unpack();
            int httpPort = Appliance.freePort();
            int managementPort = Appliance.freePort();
            Path config = config("ilb.http.port = " + httpPort, "ilb.management.port = " + managementPort,
                    "ilb.console.enabled = false", "ilb.demo.fleet = false", "ilb.kafka.embedded = false");
            Path routes = routes(home, PoolRoute.pool("m", "round-robin", PoolRoute.backend("sim-0", sim)));
            ProcessBuilder ilb = launcher(home, "dev-run", config, routes, Map.of(
                    "ILB_PROFILE", "dev", "ILB_JAVA_OPTS", "-Xmx512m -XX:TieredStopAtLevel=1"));

            run(ilb, managementPort, process -> {
                assertThat(chat(httpPort, KEY).statusCode()).isEqualTo(200);
                assertThat(chat(httpPort, "sk-ilb-demo").statusCode()).as("the dev profile's demo key").isEqualTo(401);

                ProcessBuilder drainer = new ProcessBuilder(home.resolve("bin/ilb").toString(), "drain")
                        .directory(dir.toFile()).redirectErrorStream(true)
                        .redirectOutput(LOGS.resolve("drain.log").toAbsolutePath().toFile());
                drainer.environment().put("ILB_PID_FILE", dir.resolve("ilb.pid").toString());
                Process drain = drainer.start();
                assertThat(drain.waitFor(90, TimeUnit.SECONDS)).as("drain returned").isTrue();
                assertThat(drain.exitValue()).as(Files.readString(LOGS.resolve("drain.log"))).isZero();
                assertThat(process.isAlive()).as("ilb has exited when drain returns").isFalse();
            });
        }
    }

    /** ilb's command line from bin/: its help, a route check, a usage error, and console users in hawtio/. */
    @Test
    void binIlbRunsTheCommandLine() throws Exception {
        Path home = unpack();

        Run help = cli(home, "", "--help");
        assertThat(help.exit()).as(help.output()).isZero();
        assertThat(help.output()).contains("batch", "console", "routes", "bin/ilb drain");

        Run check = cli(home, "", "routes", "check", "routes/pool-llama.yaml", "routes/api.yaml");
        assertThat(check.exit()).as(check.output()).isZero();
        assertThat(check.output()).contains("routes/pool-llama.yaml: ok (1 route: pool-llama; 3 backends)",
                "routes/api.yaml: ok (1 route: http-api)");

        Run mistyped = cli(home, "", "batch", "collect", "--bootstrap-servers", "kafka:9092", "a.jsonl", "b.jsonl");
        assertThat(mistyped.exit()).as(mistyped.output()).isEqualTo(2);
        assertThat(mistyped.output()).contains("'--bootstrap-servers'");

        // hawtio-user: console user, for scripts written before it
        Run added = cli(home, "first-password\n", "hawtio-user", "add", "alice", "admin");
        assertThat(added.exit()).as(added.output()).isZero();
        Run changed = cli(home, "second-password\n", "console", "user", "passwd", "alice");
        assertThat(changed.exit()).as(changed.output()).isZero();
        assertThat(Files.readString(home.resolve("hawtio/users.properties"))).contains("alice = pbkdf2-sha256:")
                .doesNotContain("first-password", "second-password");
    }

    record Run(int exit, String output) {
    }

    /** bin/ilb with these arguments, run in the distribution's folder, with {@code input} on its standard input. */
    private Run cli(Path home, String input, String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(home.resolve("bin/ilb").toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(home.toFile()).redirectErrorStream(true);
        builder.environment().keySet().removeIf(key -> key.startsWith("ILB_") || key.startsWith("CAMEL_")
                || key.equals("JAVA_HOME"));
        Process process = builder.start();
        try (var stdin = process.getOutputStream()) {
            stdin.write(input.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        String output = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as(String.join(" ", args)).isTrue();
        return new Run(process.exitValue(), output);
    }

    interface Checks {
        void run(Process ilb) throws Exception;
    }

    /** Starts ilb, waits until it is ready, runs the checks; prints ilb's output if anything fails. */
    private void run(ProcessBuilder launcher, int managementPort, Checks checks) throws Exception {
        Path log = launcher.redirectOutput().file().toPath();
        Process process = launcher.start();
        try {
            HttpRequest ready = HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + managementPort + "/observe/health/ready")).build();
            Awaitility.await("ilb ready").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200))
                    .ignoreExceptions().until(() -> {
                        if (!process.isAlive()) {
                            throw new AssertionError("ilb exited with " + process.exitValue());
                        }
                        return http.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
                    });
            checks.run(process);
        } catch (Throwable failure) {
            System.out.println("---- " + log + ":\n" + Files.readString(log));
            throw failure;
        } finally {
            process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** bin/ilb of the unpacked distribution, run from this test's temp folder's parent with the PATH's java. */
    private ProcessBuilder launcher(Path home, String name, Path config, Path routes, Map<String, String> env)
            throws IOException {
        Files.createDirectories(LOGS);
        ProcessBuilder builder = new ProcessBuilder(home.resolve("bin/ilb").toString())
                .directory(dir.getParent().toFile())
                .redirectErrorStream(true)
                .redirectOutput(LOGS.resolve(name + ".log").toAbsolutePath().toFile());
        Map<String, String> environment = builder.environment();
        // nothing from the build's environment decides: only what the test sets
        environment.keySet().removeIf(key -> key.startsWith("ILB_") || key.startsWith("CAMEL_")
                || key.equals("JAVA_HOME"));
        environment.putAll(env);
        environment.put("ILB_CONFIG_DIR", config.toString());
        environment.put("ILB_ROUTES_DIR", routes.toString());
        environment.put("ILB_PID_FILE", dir.resolve("ilb.pid").toString());
        environment.put("ILB_GRPC_PORT", String.valueOf(Appliance.freePort()));
        environment.put("TEAM_KEY", KEY);
        return builder;
    }

    /** The tarball unpacked with tar (which keeps bin/ilb executable); the distribution's folder in it. */
    private Path unpack() throws Exception {
        Path tarball = Path.of(System.getProperty("ilb.distribution", "target/ilb.tar.gz")).toAbsolutePath();
        assertThat(tarball).as("mvn package makes it").isRegularFile();
        Path unpacked = Files.createDirectories(dir.resolve("unpacked"));
        Process tar = new ProcessBuilder("tar", "-xzf", tarball.toString(), "-C", unpacked.toString())
                .redirectErrorStream(true).start();
        String output = new String(tar.getInputStream().readAllBytes());
        assertThat(tar.waitFor()).as(output).isZero();
        try (Stream<Path> folders = Files.list(unpacked)) {
            List<Path> homes = folders.toList();
            assertThat(homes).as("one folder, ilb-<version>").hasSize(1);
            Path home = homes.get(0);
            assertThat(home.resolve("bin/ilb")).isExecutable();
            assertThat(home.resolve("lib")).isDirectoryContaining("glob:**/ilb-*.jar");
            assertThat(home.resolve("hawtio/hawtio.war")).isRegularFile();
            return home;
        }
    }

    /** The operator's config folder: the test's tenant, its key from the environment, and the given properties. */
    private Path config(String... properties) throws IOException {
        Path config = Files.createDirectories(dir.resolve("config"));
        Files.write(config.resolve("application.properties"), Stream.concat(Stream.of(
                "ilb.tenants = team",
                "ilb.tenant.team.apiKeys = {{env:TEAM_KEY}}",
                "ilb.tenant.team.models = *",
                "ilb.http.host = 127.0.0.1",
                "ilb.grpc.host = 127.0.0.1",
                "camel.management.host = 127.0.0.1",
                "ilb.console.host = 127.0.0.1"), Stream.of(properties)).toList());
        return config;
    }

    /** A routes folder of the test's own: the distribution's entry routes and the given pool route. */
    private Path routes(Path home, String pool) throws IOException {
        Path routes = Files.createDirectories(dir.resolve("routes"));
        for (String entry : List.of("api.yaml", "api-grpc.yaml", "batch.yaml")) {
            Files.copy(home.resolve("routes").resolve(entry), routes.resolve(entry));
        }
        Files.writeString(routes.resolve("pool-m.yaml"), pool);
        return routes;
    }

    private HttpResponse<String> chat(int port, String key) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                + "/v1/chat/completions")).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(
                        "{\"model\":\"m\",\"max_tokens\":4,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}"));
        if (key != null) {
            request.header("authorization", "Bearer " + key);
        }
        return send(request.build());
    }

    private HttpResponse<String> send(HttpRequest request) throws Exception {
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }
}
