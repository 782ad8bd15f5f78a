package ilb.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.time.Duration;

import javax.net.ssl.SSLException;

/** What the load generator sends to: a proxy in front of the fleet, or the fleet's first server directly. */
interface SystemUnderTest extends AutoCloseable {

    String baseUrl();

    /** Where it publishes its Prometheus metrics (ilb's {@code /observe/metrics}); null if the bench reads none. */
    String metricsUrl();

    /** CPU time the system's own process has used so far (none for direct). */
    Duration cpuTime();

    @Override
    void close();

    /**
     * Starts a system by its name in {@link Lineups}: {@code direct}, {@code ilb <policy spec>} (optionally
     * followed by {@code capacity=<n>} or {@code urls-only}: {@link IlbSpec}) or {@code haproxy-<mode>}. Returns once
     * it has answered a request.
     */
    static SystemUnderTest start(String system, Fleet fleet, BenchSettings settings) throws SystemUnavailable {
        if (system.equals("direct")) {
            return new Direct(fleet.member(0).server().url());
        }
        if (IlbSpec.names(system)) {
            return IlbProcess.start(IlbSpec.parse(system), fleet, settings);
        }
        if (system.startsWith("haproxy-")) {
            return HaProxy.start(system, fleet, settings);
        }
        throw new IllegalArgumentException("unknown system: " + system);
    }

    /**
     * Waits until a freshly started proxy (or simulated server) answers: over HTTP, it is live
     * ({@code /v2/health/live}: ilb answers it itself, HAProxy passes it to a server) and a chat completion through it
     * succeeds; over gRPC (a
     * {@code grpc://} base URL), a ModelInfer call through it succeeds. Unavailable if the process dies, its log
     * names a failure, it answers an {@code https://} url in plain HTTP (an ilb that does not know its TLS settings),
     * or the time runs out.
     */
    static void awaitReady(ChildProcess process, String baseUrl, Duration atMost, String... failuresInLog)
            throws SystemUnavailable {
        long deadline = System.nanoTime() + atMost.toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            String failure = process.failure(failuresInLog);
            if (failure != null || !process.alive()) {
                throw new SystemUnavailable(failure != null ? failure : "exited; see " + process.log());
            }
            last = baseUrl.startsWith("grpc://") ? GrpcLoadClient.notReady(baseUrl, Duration.ofSeconds(2))
                    : httpNotReady(baseUrl);
            if (last == null) {
                return;
            }
            sleep(Duration.ofMillis(200));
        }
        throw new SystemUnavailable("not ready after " + atMost.toSeconds() + " s: " + last + "; see " + process.log());
    }

    /** Null when an HTTP proxy is live and a chat completion through it succeeds, else what it answered. */
    private static String httpNotReady(String baseUrl) throws SystemUnavailable {
        try {
            var live = Http.get(baseUrl + "/v2/health/live");
            if (live.statusCode() != 200) {
                return "/v2/health/live: HTTP " + live.statusCode();
            }
            var answer = Http.post(baseUrl, ChatRequest.user("are you there", 1, false));
            return answer.statusCode() == 200 ? null : "HTTP " + answer.statusCode() + " " + answer.body();
        } catch (UncheckedIOException e) {
            // the JDK's "Unrecognized SSL message, plaintext connection?": it answered the ClientHello in plain HTTP,
            // and TLS will not come by waiting
            if (e.getCause() instanceof SSLException ssl
                    && String.valueOf(ssl.getMessage()).contains("plaintext connection")) {
                throw new SystemUnavailable("it answers in plain HTTP, not TLS (" + ssl.getMessage() + ")");
            }
            return e.toString();
        } catch (RuntimeException e) {
            return e.toString();
        }
    }

    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * A proxy running as a child process, once it is ready ({@link #awaitReady}); stopped again if it never
     * gets there.
     */
    static SystemUnderTest started(ChildProcess process, String baseUrl, String metricsUrl, Duration atMost,
            String... failuresInLog) throws SystemUnavailable {
        Proxy proxy = new Proxy(process, baseUrl, metricsUrl);
        try {
            awaitReady(process, baseUrl, atMost, failuresInLog);
            return proxy;
        } catch (SystemUnavailable e) {
            proxy.close();
            throw e;
        }
    }

    /** ilb or HAProxy in a process of its own. */
    record Proxy(ChildProcess process, String baseUrl, String metricsUrl) implements SystemUnderTest {
        @Override
        public Duration cpuTime() {
            return process.cpuTime();
        }

        @Override
        public void close() {
            process.close();
        }
    }

    /** The client talks to the first server of the fleet itself: the baseline with no proxy. */
    record Direct(String baseUrl) implements SystemUnderTest {
        @Override
        public String metricsUrl() {
            return null;
        }

        @Override
        public Duration cpuTime() {
            return Duration.ZERO;
        }

        @Override
        public void close() {
        }
    }
}
