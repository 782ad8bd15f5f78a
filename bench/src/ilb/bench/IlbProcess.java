package ilb.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.stream.Stream;

import ilb.inference.Protocol;

/**
 * ilb in its own JVM, as it runs in production (Camel Main, routes/api.yaml), with one pool route over the fleet:
 * the policy spec under test, each server's tier and capacity beside it, health checks every second like HAProxy's
 * (or its url alone: {@link IlbSpec#urlsOnly()}).
 * Batch inference over Kafka is off (it would start a Kafka broker in ilb's JVM, on the same fixed port for every
 * ilb), except in {@link #startWithBatch}. Authentication is off unless the ilb is started with tenants. In front of
 * a fleet that serves gRPC, ilb also runs its gRPC entry (routes/api-grpc.yaml) on a port of its own, the bench's
 * clients talk to that, and the servers are gRPC backends (their {@code grpc://} urls). With {@link IlbSpec#tls()} it
 * serves HTTPS with the bench's certificate ({@code ilb.tls.certFile}, {@code ilb.tls.keyFile}); with
 * {@link IlbSpec#tracing()} it exports spans to an {@link OtlpSink} of its own ({@link Traced}). Tracing is off in
 * every other ilb, whatever OTel variables the bench's own environment has.
 */
final class IlbProcess {

    /** Log lines that mean the pool cannot serve, e.g. a policy spec ilb does not know. */
    private static final String[] FAILURES = {"Failed to start route", "No bean could be found", "FailedToCreateRoute",
        "Error starting CamelContext"};

    /** ilb with batch jobs on, and where its embedded Kafka broker listens ({@code host:port}). */
    record WithBatch(SystemUnderTest ilb, String kafka) implements AutoCloseable {
        @Override
        public void close() {
            ilb.close();
        }
    }

    /** A traced ilb, and the sink it exports its spans to (closed with it). */
    record Traced(SystemUnderTest ilb, OtlpSink sink) implements SystemUnderTest {
        @Override
        public String baseUrl() {
            return ilb.baseUrl();
        }

        @Override
        public String metricsUrl() {
            return ilb.metricsUrl();
        }

        @Override
        public Duration cpuTime() {
            return ilb.cpuTime();
        }

        @Override
        public void close() {
            ilb.close();
            sink.close();
        }
    }

    private IlbProcess() {
    }

    static SystemUnderTest start(IlbSpec ilb, Fleet fleet, BenchSettings bench) throws SystemUnavailable {
        BenchSettings settings = ilb.earlier() ? bench.ofEarlierBuild() : bench;
        Path dir = bench.work().resolve(dirName(ilb));
        List<String> properties = new ArrayList<>(List.of("-Dilb.batch.enabled=false"));
        if (ilb.tls()) {
            BenchTls tls = BenchTls.in(settings);
            properties.add("-Dilb.tls.certFile=" + tls.certFile().toAbsolutePath());
            properties.add("-Dilb.tls.keyFile=" + tls.keyFile().toAbsolutePath());
        }
        if (ilb.tracing().isEmpty()) {
            return start(poolRoute(ilb, fleet), List.of(), settings, dir, properties, Map.of(), false,
                    fleet.protocol(), ilb.tls());
        }
        OtlpSink sink = OtlpSink.start();
        try {
            return new Traced(start(poolRoute(ilb, fleet), List.of(), settings, dir, properties,
                    tracing(sink, ilb.tracing(), dir.getFileName().toString()), false, fleet.protocol(), ilb.tls()),
                    sink);
        } catch (SystemUnavailable | RuntimeException e) {
            sink.close();
            throw e;
        }
    }

    /**
     * The standard OTel variables that turn tracing on and export every sampled span over OTLP/HTTP to the sink;
     * sampling as production would set it (the root decides, children follow their parent; the bench's requests
     * carry no {@code traceparent}, so every request is a root). Metrics and logs are not exported, so that the run
     * measures tracing alone.
     */
    private static Map<String, String> tracing(OtlpSink sink, OptionalDouble share, String serviceName) {
        return Map.of(
                "OTEL_EXPORTER_OTLP_ENDPOINT", sink.endpoint(),
                "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf",
                "OTEL_TRACES_SAMPLER", "parentbased_traceidratio",
                "OTEL_TRACES_SAMPLER_ARG", String.valueOf(share.getAsDouble()),
                "OTEL_SERVICE_NAME", serviceName,
                "OTEL_METRICS_EXPORTER", "none",
                "OTEL_LOGS_EXPORTER", "none");
    }

    /**
     * ilb with pool routes of the caller's ({@link #poolRoute(String, Map, String, int, List)}), tenants (none:
     * authentication off; else on, with {@link TenantSpec#BENCH} too) and more system properties, e.g. queue
     * deadlines; its files under {@code <work>/<name>}.
     */
    static SystemUnderTest start(String name, String poolRoutes, List<TenantSpec> tenants, List<String> properties,
            BenchSettings settings) throws SystemUnavailable {
        List<String> all = new ArrayList<>(List.of("-Dilb.batch.enabled=false"));
        all.addAll(properties);
        return start(poolRoutes, tenants, settings, settings.work().resolve(fileName(name)), all, Map.of(), false,
                Protocol.HTTP, false);
    }

    /**
     * ilb with batch inference on (routes/batch.yaml): its own Kafka broker in its JVM (no cluster configured), on
     * free ports, with fresh data under {@code <work>/<ilb dir>-batch-<run>/kafka}, the topics created empty.
     */
    static WithBatch startWithBatch(IlbSpec spec, Fleet fleet, BenchSettings settings, String run)
            throws SystemUnavailable {
        Path dir = settings.work().resolve(dirName(spec) + "-batch-" + fileName(run));
        Path kafka = dir.resolve("kafka");
        deleteRecursively(kafka);
        int[] ports = freePorts(2);
        SystemUnderTest ilb = start(poolRoute(spec, fleet), List.of(), settings, dir, List.of(
                "-Dilb.batch.enabled=true", "-Dilb.kafka.embedded=true", "-Dilb.kafka.embedded.port=" + ports[0],
                "-Dilb.kafka.embedded.controllerPort=" + ports[1],
                "-Dilb.kafka.embedded.dir=" + kafka.toAbsolutePath()), Map.of(), true, Protocol.HTTP, false);
        return new WithBatch(ilb, "127.0.0.1:" + ports[0]);
    }

    /**
     * @param environment OTel variables (tracing on), or none
     * @param clients     the wire the bench's clients speak to it: HTTP, or gRPC to its gRPC entry
     * @param tls         it serves HTTPS (its properties name the certificate)
     */
    private static SystemUnderTest start(String poolRoutes, List<TenantSpec> tenants, BenchSettings settings, Path dir,
            List<String> properties, Map<String, String> environment, boolean batchRoutes, Protocol clients,
            boolean tls) throws SystemUnavailable {
        Path routes = dir.resolve("routes");
        int port = SystemUnderTest.freePort();
        int grpcPort = clients == Protocol.GRPC ? SystemUnderTest.freePort() : 0;
        int managementPort = SystemUnderTest.freePort();
        try {
            Files.createDirectories(routes);
            List<String> productionRoutes = new ArrayList<>(List.of("api.yaml"));
            if (batchRoutes) {
                productionRoutes.add("batch.yaml");
            }
            if (clients == Protocol.GRPC) {
                productionRoutes.add("api-grpc.yaml");
            }
            for (String file : productionRoutes) {
                Files.copy(settings.repo().resolve("routes").resolve(file), routes.resolve(file),
                        StandardCopyOption.REPLACE_EXISTING);
            }
            Files.writeString(routes.resolve("pool-bench.yaml"), poolRoutes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java,
                "-cp", settings.repo().resolve("target/classes") + ":" + settings.ilbClasspath(),
                // production's profile: no demo (IlbProcess names the fleet, the broker and the tenants, if any)
                "-Dcamel.main.profile=prod",
                "-Dilb.http.host=127.0.0.1",
                "-Dilb.http.port=" + port,
                "-Dcamel.main.routesIncludePattern=file:" + routes.toAbsolutePath() + "/*.yaml",
                "-Dcamel.main.routesReloadEnabled=false",
                // as in production, but on a port of its own
                "-Dcamel.management.port=" + managementPort,
                // the console would take the same port 8888 in every ilb; benchmarks do not need it
                "-Dilb.console.enabled=false"));
        command.addAll(tenants.isEmpty() ? List.of("-Dilb.auth.enabled=false") : TenantSpec.properties(tenants));
        if (clients == Protocol.GRPC) {
            command.addAll(List.of("-Dilb.grpc.host=127.0.0.1", "-Dilb.grpc.port=" + grpcPort));
        }
        command.addAll(properties);
        command.add("ilb.Ilb");
        ChildProcess process = ChildProcess.start(command, inherited -> {
            // tracing is on only where the bench turns it on, not because the shell running the bench has it
            inherited.keySet().removeIf(name -> name.startsWith("OTEL_"));
            inherited.putAll(environment);
        }, settings.repo(), dir.resolve("ilb.log"));
        String baseUrl = clients == Protocol.GRPC ? "grpc://127.0.0.1:" + grpcPort
                : (tls ? "https" : "http") + "://127.0.0.1:" + port;
        return SystemUnderTest.started(process, baseUrl, "http://127.0.0.1:" + managementPort + "/observe/metrics",
                Duration.ofSeconds(60), FAILURES);
    }

    /** The pool route file, as an operator would write it (see routes/pool-llama.yaml). */
    static String poolRoute(IlbSpec ilb, Fleet fleet) {
        return poolRoute("pool-bench", Map.of(), ilb, fleet.members());
    }

    /**
     * A pool route over some servers of a fleet, its {@code model:} endpoint with {@code parameters} (a version, its
     * canary weight, a shadow share, a stage: several such routes in one file serve the versions of the model).
     */
    static String poolRoute(String id, Map<String, Object> parameters, IlbSpec ilb, List<Fleet.Member> members) {
        StringBuilder yaml = new StringBuilder("""
                - route:
                    id: %s
                    from:
                      uri: "model:%s"
                """.formatted(id, ChatRequest.MODEL));
        if (!parameters.isEmpty()) {
            List<String> pairs = new ArrayList<>();
            parameters.forEach((name, value) -> pairs.add(name + ": "
                    + (value instanceof String text ? "\"" + text + "\"" : value)));
            yaml.append("      parameters: {").append(String.join(", ", pairs)).append("}\n");
        }
        yaml.append("""
                      steps:
                        - loadBalance:
                            customLoadBalancer:
                              ref: "%s"
                            steps:
                """.formatted(ilb.policy()));
        for (Fleet.Member member : members) {
            BackendSpec spec = member.spec();
            String settings = ilb.urlsOnly() ? "url: \"%s\"".formatted(member.server().url())
                    : "url: \"%s\", tier: %d, capacity: %d, hardware: %s, healthInterval: 1s".formatted(
                            member.server().url(), spec.tier(), ilb.capacity() > 0 ? ilb.capacity() : spec.capacity(),
                            spec.hardware());
            yaml.append("""
                                  - to:
                                      uri: "backend:%s"
                                      parameters: {%s}
                    """.formatted(member.id(), settings));
        }
        return yaml.toString();
    }

    private static String dirName(IlbSpec ilb) {
        return "ilb-" + fileName(ilb.policy()) + (ilb.capacity() > 0 ? "-capacity-" + ilb.capacity() : "")
                + (ilb.urlsOnly() ? "-urls-only" : "") + (ilb.tls() ? "-tls" : "")
                + (ilb.tracing().isPresent() ? "-tracing-" + ilb.tracing().getAsDouble() : "")
                + (ilb.earlier() ? "-earlier" : "");
    }

    /** Distinct free ports on the loopback address, all held open until all are found. */
    private static int[] freePorts(int count) {
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                sockets.add(new ServerSocket(0, 1, InetAddress.getLoopbackAddress()));
            }
            return sockets.stream().mapToInt(ServerSocket::getLocalPort).toArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            for (ServerSocket socket : sockets) {
                try {
                    socket.close();
                } catch (IOException e) {
                    // closing a listening socket that never accepted: nothing to do
                }
            }
        }
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String fileName(String policy) {
        return policy.replaceAll("[^A-Za-z0-9.-]+", "_");
    }
}
