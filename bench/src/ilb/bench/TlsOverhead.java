package ilb.bench;

import java.util.List;

/**
 * S1b: S1's saturation and added latency ({@link ProxyOverhead#measure}) with the client speaking TLS to the proxy:
 * ilb and HAProxy each terminate it with the same certificate and key ({@link BenchTls}) and talk plain HTTP to the
 * server. Each also runs plain, as in S1, so that the cost of TLS itself shows beside the difference between them.
 * The client reuses its connections, so what is measured is TLS on every request (records), not handshakes; the
 * handshakes it made are counted.
 */
final class TlsOverhead implements Scenario {

    private static final String BASELINE = "haproxy-leastconn tls";
    private static final String TLS = " tls";
    private static final List<Integer> RATES = List.of(500, 1000);

    @Override
    public String id() {
        return "s1b-tls";
    }

    @Override
    public String title() {
        return "S1b TLS termination";
    }

    @Override
    public void run(BenchSettings settings, Report report) throws InterruptedException {
        ProxyCost cost = ProxyOverhead.cost("S1b", BASELINE, RATES, settings);
        report.note(ProxyOverhead.setup() + " Systems ending in `tls` serve HTTPS (HTTP/1.1) with one certificate and "
                + "key, EC P-256, issued at run time by the bench's own authority, and talk plain HTTP to the server: "
                + "ilb with `ilb.tls.certFile` and `ilb.tls.keyFile` on its HTTP port, HAProxy with `bind ... ssl crt` "
                + "(certificate and key in one file); otherwise each is S1's. `direct` stays plain: added latency is "
                + "the proxy's and TLS's together. The client (Netty, one I/O thread) trusts the bench's authority "
                + "alone and keeps its connections alive, so most handshakes fall in the warm-up and what is measured "
                + "is TLS's cost per request. " + cost.method());
        ProxyOverhead.measure(cost, Lineups.TLS_OVERHEAD, settings, report, systems -> tlsTable(report, cost, systems));
    }

    /** Each proxy with TLS against itself plain, and what the client's connections to it were. */
    private static void tlsTable(Report report, ProxyCost cost, SideBySide systems) {
        Table table = new Table("what TLS costs each proxy: at saturation, with TLS against the same proxy plain")
                .column("system").column("req/s plain", "%.0f").column("req/s TLS", "%.0f")
                .column("TLS ÷ plain", "%.2f").column("CPU µs/req plain", "%.1f").column("CPU µs/req TLS", "%.1f")
                .column("connections opened (handshakes)", "%d").column("negotiated");
        systems.testbeds().forEach((system, testbed) -> {
            if (!system.endsWith(TLS)) {
                return;
            }
            String plain = system.substring(0, system.length() - TLS.length());
            double tls = cost.saturationThroughput(system);
            table.row(plain, cost.saturationThroughput(plain), tls,
                    Scenario.ratio(tls, cost.saturationThroughput(plain)), cost.saturationCpuMicros(plain),
                    cost.saturationCpuMicros(system), testbed.client().connectionsOpened(),
                    testbed.client().negotiated());
        });
        report.table(table);
        report.note("`connections opened` counts every connection the client made to the system over all phases "
                + "(warm-up included), each a full handshake; it opens one only when none is idle (the closed loop "
                + "needs " + ProxyOverhead.USERS + ", an open-loop burst may need more), and keeps it. `negotiated` "
                + "is what the client's last handshake agreed on (the JDK's defaults against the server's).");
    }
}
