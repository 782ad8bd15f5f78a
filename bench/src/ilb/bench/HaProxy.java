package ilb.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * HAProxy (the Debian package) in front of the same fleet, the peer ilb is compared with, configured as one would in
 * production: keep-alive and connection reuse to the servers, health checks every second like ilb's, retries on
 * another server for connection failures. Systems: {@code haproxy-roundrobin}, {@code haproxy-leastconn}, and
 * {@code haproxy-leastconn-maxconn}, which also caps each server at the capacity ilb is given (excess waits in
 * HAProxy's queue up to 10 s, as in ilb's wait queue).
 * <p>
 * HAProxy has no spill tier: its {@code backup} servers take traffic only when every other server is down, so
 * servers of every tier are plain servers here.
 */
final class HaProxy {

    static final String BINARY = "/usr/sbin/haproxy";

    private HaProxy() {
    }

    static SystemUnderTest start(String system, Fleet fleet, BenchSettings settings) throws SystemUnavailable {
        int port = SystemUnderTest.freePort();
        Path dir = settings.work().resolve(system);
        Path config = dir.resolve("haproxy.cfg");
        try {
            Files.createDirectories(dir);
            Files.writeString(config, config(system, port, fleet));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // -db: stay in the foreground, so that the bench owns the process
        ChildProcess process = ChildProcess.start(List.of(BINARY, "-db", "-f", config.toString()), dir,
                dir.resolve("haproxy.log"));
        return SystemUnderTest.started(process, "http://127.0.0.1:" + port, Duration.ofSeconds(20), "[ALERT]");
    }

    static String config(String system, int port, Fleet fleet) {
        String balance = switch (system) {
            case "haproxy-roundrobin" -> "roundrobin";
            case "haproxy-leastconn", "haproxy-leastconn-maxconn" -> "leastconn";
            default -> throw new IllegalArgumentException("unknown HAProxy system: " + system);
        };
        boolean maxconn = system.endsWith("-maxconn");
        StringBuilder cfg = new StringBuilder("""
                global
                    nbthread 2
                    maxconn 8000

                defaults
                    mode http
                    timeout connect 2s
                    timeout client 120s
                    timeout server 120s
                    # how long a request may wait for a server below its maxconn (ilb: queueTimeout.<class>)
                    timeout queue 10s
                    option http-keep-alive
                    http-reuse always
                    # Stream each SSE event at once. Without it HAProxy sends forwarded data with MSG_MORE while it
                    # expects more of the body, and the kernel holds a stream's first events until the stream ends
                    # or 200 ms pass: 63 ms TTFT instead of 32 ms on a 60 ms stream, 208 ms on a 430 ms one.
                    option http-no-delay
                    option redispatch
                    retries 2
                    retry-on conn-failure empty-response response-timeout 503

                frontend bench
                    bind 127.0.0.1:%d
                    maxconn 8000
                    default_backend fleet

                backend fleet
                    balance %s
                    option httpchk GET /health
                    default-server check inter 1s fall 2 rise 1
                """.formatted(port, balance));
        for (Fleet.Member member : fleet.members()) {
            URI url = URI.create(member.server().url());
            cfg.append("    server ").append(member.id()).append(' ').append(url.getHost()).append(':').append(url.getPort());
            if (maxconn) {
                cfg.append(" maxconn ").append(member.spec().capacity());
            }
            cfg.append('\n');
        }
        return cfg.toString();
    }
}
