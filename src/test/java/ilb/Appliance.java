package ilb;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;
import java.util.concurrent.atomic.AtomicInteger;

import ilb.backend.Backend;
import ilb.backend.BackendComponent;
import ilb.balancer.InferenceLoadBalancer;
import org.apache.camel.CamelContext;
import org.apache.camel.Navigate;
import org.apache.camel.Processor;
import org.apache.camel.main.Main;

/**
 * ilb as it runs in production (Camel Main, {@code routes/api.yaml}, application.properties, real sockets on
 * loopback), serving the pool routes a test writes, with properties the test overrides.
 */
public final class Appliance implements AutoCloseable {

    /** Where {@link #freePort()} starts: above the well-known and most registered services' ports. */
    private static final int LOWEST_PICKED_PORT = 20000;
    private static final int LOWEST_EPHEMERAL_PORT = lowestEphemeralPort();
    /** Every port {@link #freePort()} has returned in this JVM: none is returned twice. */
    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

    /** The API key of tenant "test", which may use every model; requests made here carry it. */
    public static final String API_KEY = "sk-test";
    private static final AtomicInteger RUNS = new AtomicInteger();

    private final Main main;
    private final int port;
    private final int grpcPort;
    private final Path routes;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private Appliance(Main main, int port, int grpcPort, Path routes) {
        this.main = main;
        this.port = port;
        this.grpcPort = grpcPort;
        this.routes = routes;
    }

    /** Starts ilb with the given pool route file (YAML) and {@code name=value} properties. */
    public static Appliance start(String poolRoutes, String... properties) {
        return start(poolRoutes, Map.of(), properties);
    }

    /** As {@link #start(String, String...)}, with beans bound before ilb configures itself (e.g. {@code ilbClock}). */
    public static Appliance start(String poolRoutes, Map<String, Object> beans, String... properties) {
        try {
            Path routes = Files.createDirectories(Path.of("target", "test-routes",
                    "run-" + ProcessHandle.current().pid() + "-" + RUNS.incrementAndGet()));
            Files.writeString(routes.resolve("pool.yaml"), poolRoutes);
            int port = freePort();
            int grpcPort = freePort();
            Main main = new Main();
            beans.forEach(main::bind);
            main.configure().addConfiguration(IlbConfiguration.class);
            main.addOverrideProperty("camel.main.routesIncludePattern",
                    "file:routes/api.yaml,file:routes/api-grpc.yaml,file:routes/batch.yaml,file:" + routes + "/*.yaml");
            main.addOverrideProperty("camel.main.routesReloadDirectory", routes.toString());
            main.addOverrideProperty("camel.main.routesReloadEnabled", "false");
            main.addOverrideProperty("camel.main.shutdownTimeout", "5");
            main.addOverrideProperty("ilb.http.host", "127.0.0.1");
            main.addOverrideProperty("ilb.http.port", String.valueOf(port));
            main.addOverrideProperty("ilb.grpc.host", "127.0.0.1");
            main.addOverrideProperty("ilb.grpc.port", String.valueOf(grpcPort));
            main.addOverrideProperty("ilb.demo.fleet", "false");
            main.addOverrideProperty("ilb.tenants", "test");
            main.addOverrideProperty("ilb.tenant.test.apiKeys", API_KEY);
            main.addOverrideProperty("ilb.tenant.test.models", "*");
            // batch over Kafka only where a test turns it on (BatchJobs), with a broker of its own
            main.addOverrideProperty("ilb.batch.enabled", "false");
            // the management server only where a test turns it on, on a port of its own
            main.addOverrideProperty("camel.management.enabled", "false");
            // the console too (ConsoleBrowserTest turns it on)
            main.addOverrideProperty("ilb.console.enabled", "false");
            for (String property : properties) {
                int eq = property.indexOf('=');
                if (property.startsWith("camel.main.profile=")) {
                    // chosen before the properties files are read, so not an override
                    main.configure().setProfile(property.substring(eq + 1));
                }
                main.addOverrideProperty(property.substring(0, eq), property.substring(eq + 1));
            }
            main.start();
            return new Appliance(main, port, grpcPort, routes);
        } catch (Exception e) {
            throw new IllegalStateException("ilb did not start", e);
        }
    }

    /**
     * A port free now, below the kernel's range for the local ends of outgoing connections: one picked inside it (as
     * {@code new ServerSocket(0)} does) may become some client connection's own port before it is bound again, and a
     * test then fails for no reason of its own.
     */
    public static int freePort() {
        for (int tries = 0; tries < 100; tries++) {
            int port = LOWEST_PICKED_PORT
                    + ThreadLocalRandom.current().nextInt(LOWEST_EPHEMERAL_PORT - LOWEST_PICKED_PORT);
            if (!HANDED_OUT.add(port)) {
                // free now perhaps, but handed out before: its taker may not have bound it yet (an ilb picks its
                // HTTP and gRPC ports before binding either)
                continue;
            }
            try (ServerSocket socket = new ServerSocket()) {
                // not reused: a port an earlier test's connections still hold in TIME_WAIT refuses servers that
                // bind without SO_REUSEADDR (the gRPC entry)
                socket.setReuseAddress(false);
                socket.bind(new InetSocketAddress(port));
                return socket.getLocalPort();
            } catch (IOException taken) {
                // try another
            }
        }
        throw new UncheckedIOException(new IOException("no free port below " + LOWEST_EPHEMERAL_PORT));
    }

    /** The start of Linux's {@code ip_local_port_range} (32768 by default, and where it cannot be read). */
    private static int lowestEphemeralPort() {
        try {
            int low = Integer.parseInt(Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))
                    .trim().split("\\s+")[0]);
            return Math.max(low, LOWEST_PICKED_PORT + 1000);
        } catch (IOException | RuntimeException e) {
            return 32768;
        }
    }

    public CamelContext context() {
        return main.getCamelContext();
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    /** The port of the gRPC entry (KServe v2's inference.GRPCInferenceService). */
    public int grpcPort() {
        return grpcPort;
    }

    /** The pool route file, to edit while ilb runs. */
    public Path poolRouteFile() {
        return routes.resolve("pool.yaml");
    }

    /** A request to ilb with tenant "test"'s API key. */
    public HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(baseUrl() + path)).header("authorization", "Bearer " + API_KEY);
    }

    public HttpResponse<String> post(String path, String json) {
        return send(request(path).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build());
    }

    /** Starts a streamed chat completion and returns as soon as its response head is in. */
    public HttpResponse<InputStream> openStream(String model, int maxTokens) {
        try {
            return http.send(request("/v1/chat/completions").header("content-type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + model + "\",\"stream\":true,\"max_tokens\":"
                            + maxTokens + ",\"messages\":[{\"role\":\"user\",\"content\":\"tell a story\"}]}"))
                    .build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public HttpResponse<String> get(String path) {
        return send(request(path).GET().build());
    }

    public HttpResponse<byte[]> sendBytes(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public HttpResponse<String> send(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public HttpClient http() {
        return http;
    }

    /** A chat completion request for the model, with a short prompt. */
    public static String chat(String model, int maxTokens) {
        return "{\"model\":\"" + model + "\",\"max_tokens\":" + maxTokens
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"hello there\"}]}";
    }

    /** Sends chat completions for model {@code m} one after the other; the backends that served them, in order. */
    public List<String> servedBy(int requests) {
        return servedBy("m", requests);
    }

    /** Sends chat completions for the model one after the other; the backends that served them, in order. */
    public List<String> servedBy(String model, int requests) {
        List<String> served = new ArrayList<>();
        for (int i = 0; i < requests; i++) {
            HttpResponse<String> response = post("/v1/chat/completions", chat(model, 2));
            if (response.statusCode() != 200) {
                throw new AssertionError("request " + i + " failed: " + response.statusCode() + " " + response.body());
            }
            served.add(servedBy(response));
        }
        return served;
    }

    public static Map<String, Long> counts(List<String> served) {
        return served.stream().collect(Collectors.groupingBy(s -> s, TreeMap::new, Collectors.counting()));
    }

    /** The backend that served a response, from {@code x-ilb-backend}. */
    public static String servedBy(HttpResponse<?> response) {
        return response.headers().firstValue("x-ilb-backend").orElse("");
    }

    public static int attempts(HttpResponse<?> response) {
        return Integer.parseInt(response.headers().firstValue("x-ilb-attempts").orElse("0"));
    }

    /** The balancer of a pool route. */
    public InferenceLoadBalancer balancer(String routeId) {
        return find(context().getRoute(routeId).navigate()).orElseThrow();
    }

    private static Optional<InferenceLoadBalancer> find(Navigate<Processor> processors) {
        if (processors == null || !processors.hasNext()) {
            return Optional.empty();
        }
        for (Processor processor : processors.next()) {
            if (processor instanceof InferenceLoadBalancer balancer) {
                return Optional.of(balancer);
            }
            if (processor instanceof Navigate<?> more) {
                @SuppressWarnings("unchecked")
                Optional<InferenceLoadBalancer> found = find((Navigate<Processor>) more);
                if (found.isPresent()) {
                    return found;
                }
            }
        }
        return Optional.empty();
    }

    /** The live state of a backend, as the balancer sees it. */
    public Backend backend(String id) {
        return context().getComponent("backend", BackendComponent.class).backends().stream()
                .filter(b -> b.id().equals(id)).findFirst().orElseThrow();
    }

    @Override
    public void close() {
        main.stop();
    }
}
