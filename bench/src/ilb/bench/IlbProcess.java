package ilb.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;

/**
 * ilb in its own JVM, as it runs in production (Camel Main, routes/api.yaml), with one pool route over the fleet:
 * the policy spec under test, each server's tier and capacity beside it, health checks every second like HAProxy's.
 */
final class IlbProcess {

    /** Log lines that mean the pool cannot serve, e.g. a policy spec ilb does not know. */
    private static final String[] FAILURES = {"Failed to start route", "No bean could be found", "FailedToCreateRoute",
        "Error starting CamelContext"};

    private IlbProcess() {
    }

    /** @param capacity every server's capacity in the pool; 0: each server's own */
    static SystemUnderTest start(String policy, int capacity, Fleet fleet, BenchSettings settings) throws SystemUnavailable {
        Path dir = settings.work().resolve("ilb-" + fileName(policy) + (capacity > 0 ? "-capacity-" + capacity : ""));
        Path routes = dir.resolve("routes");
        int port = SystemUnderTest.freePort();
        try {
            Files.createDirectories(routes);
            Files.copy(settings.repo().resolve("routes/api.yaml"), routes.resolve("api.yaml"),
                    StandardCopyOption.REPLACE_EXISTING);
            Files.writeString(routes.resolve("pool-bench.yaml"), poolRoute(policy, capacity, fleet));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        ChildProcess process = ChildProcess.start(List.of(java,
                "-cp", settings.repo().resolve("target/classes") + ":" + settings.ilbClasspath(),
                "-Dilb.demo.fleet=false",
                "-Dilb.auth.enabled=false",
                "-Dilb.http.host=127.0.0.1",
                "-Dilb.http.port=" + port,
                "-Dcamel.main.routesIncludePattern=file:" + routes.toAbsolutePath() + "/*.yaml",
                "-Dcamel.main.routesReloadEnabled=false",
                "ilb.Ilb"), settings.repo(), dir.resolve("ilb.log"));
        return SystemUnderTest.started(process, "http://127.0.0.1:" + port, Duration.ofSeconds(60), FAILURES);
    }

    /** The pool route file, as an operator would write it (see routes/pool-llama.yaml). */
    static String poolRoute(String policy, int capacity, Fleet fleet) {
        StringBuilder yaml = new StringBuilder("""
                - route:
                    id: pool-bench
                    from:
                      uri: "model:%s"
                      steps:
                        - loadBalance:
                            customLoadBalancer:
                              ref: "%s"
                            steps:
                """.formatted(ChatRequest.MODEL, policy));
        for (Fleet.Member member : fleet.members()) {
            BackendSpec spec = member.spec();
            yaml.append("""
                                  - to:
                                      uri: "backend:%s"
                                      parameters: {url: "%s", tier: %d, capacity: %d, hardware: %s, healthInterval: 1s}
                    """.formatted(member.id(), member.server().url(), spec.tier(), capacity > 0 ? capacity : spec.capacity(),
                    spec.hardware()));
        }
        return yaml.toString();
    }

    private static String fileName(String policy) {
        return policy.replaceAll("[^A-Za-z0-9.-]+", "_");
    }
}
