package ilb.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import ilb.inference.Protocol;

/**
 * HAProxy (the Debian package) in front of the same fleet, the peer ilb is compared with, configured as one would in
 * production: keep-alive and connection reuse to the servers, health checks every second like ilb's, retries on
 * another server for connection failures. Systems: {@code haproxy-roundrobin}, {@code haproxy-leastconn}, and
 * {@code haproxy-leastconn-maxconn}, which also caps each server at the capacity ilb is given (excess waits in
 * HAProxy's queue up to 10 s, as in ilb's wait queue). A system name ending in {@code " tls"}
 * ({@code haproxy-leastconn tls}) terminates TLS on its bind with the bench's certificate ({@link BenchTls}) and talks
 * plain HTTP to the servers, as ilb serving TLS does.
 * <p>
 * HAProxy has no spill tier: its {@code backup} servers take traffic only when every other server is down, so
 * servers of every tier are plain servers here.
 * <p>
 * In front of servers that speak gRPC it is a gRPC proxy as HAProxy documents one: still {@code mode http}, so that
 * it balances each call (not each connection), with HTTP/2 on both sides ({@code proto h2} on the bind and on the
 * servers). Its health checks are then connection checks: an HTTP check cannot ask a gRPC server anything (a gRPC
 * request's body is a binary frame), and a gRPC server refuses a plain {@code GET}.
 */
final class HaProxy {

    static final String BINARY = "/usr/sbin/haproxy";

    /** The end of a system's name that has it serve TLS. */
    private static final String TLS = " tls";

    private HaProxy() {
    }

    static SystemUnderTest start(String system, Fleet fleet, BenchSettings settings) throws SystemUnavailable {
        int port = SystemUnderTest.freePort();
        boolean tls = system.endsWith(TLS);
        String bind = tls ? " ssl crt " + BenchTls.in(settings).certAndKeyFile().toAbsolutePath() : "";
        String config = config(tls ? system.substring(0, system.length() - TLS.length()) : system, port, bind, fleet);
        return start(system, port, tls ? "https" : null, fleet.protocol(), config, settings);
    }

    /** @param scheme the clients' url scheme if not the protocol's own ({@code https}) */
    private static SystemUnderTest start(String system, int port, String scheme, Protocol protocol, String configText,
            BenchSettings settings) throws SystemUnavailable {
        Path dir = settings.work().resolve(system.replace(' ', '-'));
        Path config = dir.resolve("haproxy.cfg");
        try {
            Files.createDirectories(dir);
            Files.writeString(config, configText);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // -db: stay in the foreground, so that the bench owns the process
        ChildProcess process = ChildProcess.start(List.of(BINARY, "-db", "-f", config.toString()), dir,
                dir.resolve("haproxy.log"));
        if (scheme == null) {
            scheme = protocol == Protocol.GRPC ? "grpc" : "http";
        }
        return SystemUnderTest.started(process, scheme + "://127.0.0.1:" + port, null, Duration.ofSeconds(20),
                "[ALERT]");
    }

    /**
     * {@code haproxy-leastconn} whose servers come from DNS, as HAProxy documents service discovery: a
     * {@code resolvers} section asking {@code nameserver} every second, and a {@code server-template} of as many
     * slots as the fleet has servers, each filled by one address of {@code name} at {@code serverPort}.
     */
    static SystemUnderTest startWithDns(Fleet fleet, String name, int serverPort, String nameserver,
            BenchSettings settings) throws SystemUnavailable {
        String system = "haproxy-leastconn";
        int port = SystemUnderTest.freePort();
        String config = head(system, port, "", false)
                .replace("\nbackend fleet\n", "\nresolvers dns\n"
                        + "    nameserver dns1 " + nameserver + "\n"
                        + "    accepted_payload_size 8192\n"
                        + "    timeout resolve 1s\n"
                        + "    timeout retry 1s\n"
                        + "    hold valid 1s\n"
                        + "    hold obsolete 0s\n\n"
                        + "backend fleet\n")
                + "    server-template b " + fleet.members().size() + " " + name + ":" + serverPort
                + " resolvers dns init-addr none resolve-prefer ipv4\n";
        return start(system + "-dns", port, null, Protocol.HTTP, config, settings);
    }

    /** @param bind more options of the frontend's {@code bind} line (TLS), or none */
    static String config(String system, int port, String bind, Fleet fleet) {
        boolean grpc = fleet.protocol() == Protocol.GRPC;
        StringBuilder cfg = new StringBuilder(head(system, port, bind, grpc));
        for (Fleet.Member member : fleet.members()) {
            URI url = URI.create(member.server().url());
            cfg.append("    server ").append(member.id()).append(' ').append(url.getHost()).append(':').append(url.getPort());
            if (grpc) {
                cfg.append(" proto h2");
            }
            if (system.endsWith("-maxconn")) {
                cfg.append(" maxconn ").append(member.spec().capacity());
            }
            cfg.append('\n');
        }
        return cfg.toString();
    }

    /** Everything but the servers: the last lines are the fleet backend's, its servers' lines go after them. */
    private static String head(String system, int port, String bind, boolean grpc) {
        String balance = switch (system) {
            case "haproxy-roundrobin" -> "roundrobin";
            case "haproxy-leastconn", "haproxy-leastconn-maxconn" -> "leastconn";
            default -> throw new IllegalArgumentException("unknown HAProxy system: " + system);
        };
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
                    bind 127.0.0.1:%d%s%s
                    maxconn 8000
                    default_backend fleet

                backend fleet
                    balance %s
                """.formatted(port, bind, grpc ? " proto h2" : "", balance));
        if (!grpc) {
            cfg.append("    option httpchk GET /health\n");
        }
        cfg.append("    default-server check inter 1s fall 2 rise 1\n");
        return cfg.toString();
    }
}
