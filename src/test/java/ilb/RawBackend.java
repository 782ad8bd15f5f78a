package ilb;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A backend that misbehaves as a test says, on a plain socket: it reads each HTTP/1.1 request and lets the test's
 * {@link Answer} write whatever it likes back, as slowly as it likes. No health or metrics paths: point ilb's
 * backend at it with {@code healthPath} and {@code metricsPath} empty.
 */
public final class RawBackend implements AutoCloseable {

    /** Writes the response to one request; it may take its time, and stops when ilb hangs up (an IOException). */
    @FunctionalInterface
    public interface Answer {
        void write(OutputStream out) throws IOException, InterruptedException;
    }

    /**
     * Promises a large JSON body, then sends a byte of it every 50 ms until ilb hangs up: never silent, never done.
     */
    public static final Answer TRICKLE = out -> {
        out.write(("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000000\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        while (true) {
            out.write(' ');
            out.flush();
            // the backend's slowness, not a wait for the test
            Thread.sleep(50);
        }
    };

    private final ServerSocket server;
    private final Answer answer;
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final List<Socket> connections = new CopyOnWriteArrayList<>();
    private final List<String> requestLines = new CopyOnWriteArrayList<>();
    private final List<Map<String, String>> requestHeaders = new CopyOnWriteArrayList<>();
    private final AtomicInteger closed = new AtomicInteger();

    private RawBackend(ServerSocket server, Answer answer) {
        this.server = server;
        this.answer = answer;
    }

    public static RawBackend start(Answer answer) {
        try {
            RawBackend backend = new RawBackend(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()), answer);
            backend.threads.execute(backend::accept);
            return backend;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String url() {
        return "http://127.0.0.1:" + server.getLocalPort();
    }

    /** The request line of every request read, in order. */
    public List<String> requestLines() {
        return requestLines;
    }

    /** The headers of every request read (lower-case names), in order. */
    public List<Map<String, String>> requestHeaders() {
        return requestHeaders;
    }

    /** Connections ilb opened. */
    public int connectionsAccepted() {
        return connections.size();
    }

    /** Connections that are over: ilb closed them, or the answer failed to write to them. */
    public int connectionsClosed() {
        return closed.get();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                connections.add(socket);
                threads.execute(() -> serve(socket));
            } catch (IOException e) {
                // closed
            }
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            InputStream in = new BufferedInputStream(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            while (readRequest(in)) {
                answer.write(out);
                out.flush();
            }
        } catch (IOException | InterruptedException e) {
            // ilb hung up, or the test is over
        } finally {
            closed.incrementAndGet();
        }
    }

    /** Reads one request, head and body; false at the end of the connection. */
    private boolean readRequest(InputStream in) throws IOException {
        String line = readLine(in);
        if (line == null) {
            return false;
        }
        requestLines.add(line);
        int length = 0;
        Map<String, String> headers = new HashMap<>();
        for (String header = readLine(in); header != null && !header.isEmpty(); header = readLine(in)) {
            String lower = header.toLowerCase(Locale.ROOT);
            if (lower.startsWith("content-length:")) {
                length = Integer.parseInt(lower.substring("content-length:".length()).trim());
            }
            int colon = header.indexOf(':');
            if (colon > 0) {
                headers.put(lower.substring(0, colon).trim(), header.substring(colon + 1).trim());
            }
        }
        requestHeaders.add(headers);
        return in.readNBytes(length).length == length;
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                return null;
            }
            if (b != '\r') {
                line.write(b);
            }
        }
        return line.toString(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket socket : connections) {
            socket.close();
        }
        threads.shutdownNow();
    }
}
