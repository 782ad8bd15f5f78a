package ilb.bench;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static java.nio.charset.StandardCharsets.UTF_8;

/**
 * Debian's {@code redis-server} on a free loopback port, nothing persisted, for ilb replicas to share their tenants'
 * limits through ({@code ilb.limits.redis}). The bench asks it only how many commands it has run, to tell whether
 * the ilbs used it at all.
 */
final class RedisServer implements AutoCloseable {

    static final String BINARY = "/usr/bin/redis-server";
    private static final Pattern COMMANDS = Pattern.compile("(?m)^total_commands_processed:(\\d+)");

    private final ChildProcess process;
    private final int port;

    private RedisServer(ChildProcess process, int port) {
        this.process = process;
        this.port = port;
    }

    /** Starts one and returns once it answers; unavailable if it is not installed or never answers. */
    static RedisServer start(Path dir) throws SystemUnavailable {
        if (!Files.isExecutable(Path.of(BINARY))) {
            throw new SystemUnavailable(BINARY + " is not installed (apt-get install redis-server)");
        }
        int port = SystemUnderTest.freePort();
        ChildProcess process = ChildProcess.start(List.of(BINARY, "--port", String.valueOf(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", dir.toAbsolutePath().toString()), dir,
                dir.resolve("redis.log"));
        RedisServer redis = new RedisServer(process, port);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            try {
                redis.commandsProcessed();
                return redis;
            } catch (UncheckedIOException e) {
                if (!process.alive() || System.nanoTime() > deadline) {
                    redis.close();
                    throw new SystemUnavailable("redis-server did not answer: " + e.getCause() + "; see "
                            + process.log());
                }
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                redis.close();
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    /** What ilb is given as {@code ilb.limits.redis}. */
    String url() {
        return "redis://127.0.0.1:" + port;
    }

    /** Commands it has run since it started ({@code INFO stats}), this question included. */
    long commandsProcessed() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            socket.setSoTimeout(2000);
            OutputStream out = socket.getOutputStream();
            out.write("*2\r\n$4\r\nINFO\r\n$5\r\nstats\r\n".getBytes(UTF_8));
            out.flush();
            DataInputStream in = new DataInputStream(socket.getInputStream());
            String head = line(in);
            if (!head.startsWith("$")) {
                throw new IOException("INFO answered " + head);
            }
            byte[] info = new byte[Integer.parseInt(head.substring(1))];
            in.readFully(info);
            Matcher matcher = COMMANDS.matcher(new String(info, UTF_8));
            if (!matcher.find()) {
                throw new IOException("INFO stats has no total_commands_processed");
            }
            return Long.parseLong(matcher.group(1));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One RESP line, without its CRLF. */
    private static String line(DataInputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                throw new IOException("connection closed");
            }
            if (b != '\r') {
                line.append((char) b);
            }
        }
        return line.toString();
    }

    @Override
    public void close() {
        process.close();
    }
}
