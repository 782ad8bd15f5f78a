package ilb;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.awaitility.Awaitility;

/**
 * ilb in a JVM of its own, as it runs in production ({@code ilb.Ilb}), so that a test can stop it as the system does:
 * kill it the hard way (SIGKILL), or send it SIGTERM. Its output goes to {@code ilb.log} in its directory.
 */
public final class IlbProcess implements AutoCloseable {

    private final Process process;
    private final Path log;
    private final int port;

    private IlbProcess(Process process, Path log, int port) {
        this.process = process;
        this.log = log;
        this.port = port;
    }

    /** Starts ilb with the pool route file and properties, and waits until it answers. */
    public static IlbProcess start(Path dir, String poolRoutes, String... properties) {
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("pool.yaml"), poolRoutes);
            int port = Appliance.freePort();
            List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                    "-cp", System.getProperty("java.class.path"),
                    "-Dcamel.main.routesIncludePattern=file:routes/api.yaml,file:routes/api-grpc.yaml,file:routes/batch.yaml,file:" + dir
                            + "/pool.yaml",
                    "-Dcamel.main.routesReloadEnabled=false", "-Dilb.demo.fleet=false", "-Dilb.http.host=127.0.0.1",
                    "-Dilb.http.port=" + port, "-Dilb.tenants=test", "-Dilb.tenant.test.apiKeys=" + Appliance.API_KEY,
                    "-Dilb.tenant.test.models=*", "-Dcamel.management.enabled=false",
                    // its gRPC entry on a port of its own (a property given below overrides it: the last -D wins)
                    "-Dilb.grpc.host=127.0.0.1", "-Dilb.grpc.port=" + Appliance.freePort(),
                    "-Dilb.console.enabled=false"));
            for (String property : properties) {
                command.add("-D" + property);
            }
            command.add("ilb.Ilb");
            Path log = dir.resolve("ilb.log");
            Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile())
                    .start();
            IlbProcess ilb = new IlbProcess(process, log, port);
            HttpClient http = HttpClient.newHttpClient();
            HttpRequest live = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v2/health/live")).build();
            Awaitility.await("ilb in its own JVM answers").atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(100)).ignoreExceptions().until(() -> {
                        if (!process.isAlive()) {
                            throw new AssertionError("ilb exited: " + Files.readString(log));
                        }
                        return http.send(live, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
                    });
            return ilb;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The inference API, e.g. {@code http://127.0.0.1:20123}. */
    public String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    /** What Kubernetes and {@code bin/ilb drain} send to stop it gracefully: SIGTERM. */
    public void terminate() {
        process.destroy();
    }

    public Process process() {
        return process;
    }

    /** As a crash or {@code kill -9} would: no shutdown, no last commit. */
    public void kill() throws InterruptedException {
        process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        kill();
    }

    public Path log() {
        return log;
    }
}
