package ilb;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;

/**
 * Debian's dnsmasq on a free loopback port, answering only for the names a test gives it: A and AAAA records from a
 * hosts file (changed at once, by SIGHUP) and SRV records from its configuration (changed by a restart on the same
 * port). Its records live {@code ttl} seconds. Stopped and started again as the test says.
 */
public final class DnsServer implements AutoCloseable {

    /** One SRV record: its target, port and weight. */
    public record Srv(String target, int port, int weight) {
    }

    private final int port;
    private final int ttl;
    private final Path dir;
    private final Map<String, List<String>> addresses = new LinkedHashMap<>();
    private final Map<String, List<Srv>> srv = new LinkedHashMap<>();
    private Process process;

    private DnsServer(int port, int ttl, Path dir) {
        this.port = port;
        this.ttl = ttl;
        this.dir = dir;
    }

    public static DnsServer start(int ttl) {
        int port = Appliance.freePort();
        try {
            DnsServer server = new DnsServer(port, ttl,
                    Files.createDirectories(Path.of("target", "dnsmasq-" + port).toAbsolutePath()));
            server.write();
            server.restart();
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What {@code ilb.dns.nameservers} says to ask it. */
    public String nameserver() {
        return "127.0.0.1:" + port;
    }

    /** The name's A (and AAAA) records from now on: none, some or other addresses; returns once it answers them. */
    public void addresses(String name, String... ips) throws Exception {
        addresses.put(name, List.of(ips));
        write();
        long readsBefore = hostsFileReads();
        new ProcessBuilder("kill", "-HUP", Long.toString(process.pid())).inheritIO().start().waitFor();
        await().until(() -> hostsFileReads() > readsBefore);
    }

    /** How often it has read its hosts file, by its log ("read .../hosts - 3 names"). */
    private long hostsFileReads() throws IOException {
        try (var lines = Files.lines(dir.resolve("dnsmasq.log"))) {
            return lines.filter(line -> line.contains("read ") && line.contains("hosts")).count();
        }
    }

    /** The name's SRV records from now on; dnsmasq reads them only as it starts, so it restarts. */
    public void srv(String name, Srv... records) throws Exception {
        srv.put(name, List.of(records));
        write();
        stop();
        restart();
    }

    /** Starts it (again) on its port, and returns once it answers. */
    public void restart() {
        List<String> command = List.of("/usr/sbin/dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts",
                "--no-poll",
                // as the test's user: run as root, dnsmasq would become 'nobody', who may not read a private clone
                "--user=" + System.getProperty("user.name"), "--port=" + port, "--listen-address=127.0.0.1", "--bind-interfaces",
                "--local-ttl=" + ttl, "--pid-file=", "--log-facility=-", "--conf-file=" + dir.resolve("srv.conf"),
                "--addn-hosts=" + dir.resolve("hosts"));
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(new File(dir.toFile(), "dnsmasq.log"))).start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        await().until(this::answers);
    }

    /** Stops it: lookups time out until it starts again. */
    public void stop() throws InterruptedException {
        process.destroy();
        process.waitFor();
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }

    private void write() throws IOException {
        StringBuilder hosts = new StringBuilder();
        addresses.forEach((name, ips) -> ips.forEach(ip -> hosts.append(ip).append(' ').append(name).append('\n')));
        Files.writeString(dir.resolve("hosts"), hosts);
        StringBuilder conf = new StringBuilder();
        srv.forEach((name, records) -> records.forEach(record -> conf.append("srv-host=").append(name).append(',')
                .append(record.target()).append(',').append(record.port()).append(",0,").append(record.weight())
                .append('\n')));
        Files.writeString(dir.resolve("srv.conf"), conf);
    }

    /** Whether it answers a query (any answer: the name asked is none of its). */
    private boolean answers() {
        byte[] query = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 5, 'p', 'r', 'o', 'b', 'e', 0, 0, 1, 0, 1};
        try (DatagramSocket socket = new DatagramSocket()) {
            socket.setSoTimeout(200);
            socket.send(new DatagramPacket(query, query.length, InetAddress.getLoopbackAddress(), port));
            socket.receive(new DatagramPacket(new byte[512], 512));
            return true;
        } catch (SocketTimeoutException notYet) {
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
