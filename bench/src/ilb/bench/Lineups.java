package ilb.bench;

import java.util.List;

/**
 * The systems each scenario runs side by side, in order: {@code direct}, {@code ilb <policy spec>} (the
 * {@code customLoadBalancer} ref, options in URI-query style; then {@code capacity=<n>} or {@code urls-only}, what its
 * pool says of the servers: {@link IlbSpec}), or {@code haproxy-<mode>}. A policy spec ilb rejects is reported as not
 * available.
 */
final class Lineups {

    /**
     * Hedging off and on, and the predictor with and without it: what each costs per request (issue 14: at most 5 %
     * of saturation throughput). least-request runs each way twice ({@code hedgeAfter=0} and {@code 0ms}; the
     * default and {@code 250ms}, the same setting), off first, so the spread between identical setups shows beside
     * the difference.
     */
    static final List<String> PROXY_OVERHEAD = List.of(
            "direct",
            "ilb least-request?hedgeAfter=0",
            "ilb least-request",
            "ilb least-request?hedgeAfter=0ms",
            "ilb least-request?hedgeAfter=250ms",
            "ilb predicted-latency?hedgeAfter=0",
            "ilb predicted-latency",
            "haproxy-leastconn");

    /**
     * S1 with TLS on the client's side: ilb and HAProxy terminating it with the same certificate (plain HTTP to the
     * server), and each plain as in S1, for what TLS itself costs; direct stays plain, the floor of added latency.
     */
    static final List<String> TLS_OVERHEAD = List.of(
            "direct",
            "ilb least-request",
            "haproxy-leastconn",
            "ilb least-request tls",
            "haproxy-leastconn tls");

    /**
     * S1 with ilb's tracing off, on for every request, and on for 1 % of them (sampled at the root), an earlier build
     * without tracing, and tracing off once more.
     */
    static final List<String> TRACING_OVERHEAD = List.of(
            "direct",
            "ilb least-request",
            "ilb least-request tracing=1",
            "ilb least-request tracing=0.01",
            // the build before tracing (bench/run s1c --earlier <commit>): what tracing's code costs while off
            "ilb least-request earlier",
            // tracing off again (250ms is the default hedge delay), last: the spread between identical setups, and
            // whether the order of the runs tells
            "ilb least-request?hedgeAfter=250ms");

    /** S1's systems in front of a server that serves gRPC: each of them serves gRPC too. */
    static final List<String> GRPC_OVERHEAD = List.of(
            "direct",
            "ilb least-request",
            "haproxy-leastconn");

    static final List<String> HETEROGENEOUS_FLEET = List.of(
            "ilb least-request",
            "ilb peak-ewma",
            "ilb scored",
            "ilb scored?sloTtft=500ms&sloTpot=50ms",
            // servers given more room than their batch: the server's own queue and latency now matter
            "ilb least-request capacity=64",
            "ilb scored capacity=64",
            "ilb scored?sloTtft=500ms&sloTpot=50ms capacity=64",
            "haproxy-roundrobin",
            "haproxy-leastconn",
            "haproxy-leastconn-maxconn");

    /** Issue 14: a pool that lists only its servers' urls, ilb's default policy first. */
    static final List<String> URLS_ONLY = List.of(
            "ilb predicted-latency urls-only",
            "ilb scored urls-only",
            "ilb least-request urls-only",
            "haproxy-leastconn");

    /** A fast server slowing down for a while, then recovering: ilb learns each server's capacity as it goes. */
    static final List<String> DRIFTING_FLEET = List.of(
            "ilb predicted-latency urls-only",
            "ilb scored urls-only",
            "haproxy-leastconn");

    /**
     * One server frozen (SIGSTOP), each system with and without the freeze: ilb's hedged first token; with the
     * servers' capacities written too, to show what learning them costs.
     */
    static final List<String> FROZEN_SERVER = List.of(
            "ilb predicted-latency urls-only",
            "ilb predicted-latency",
            "haproxy-leastconn");

    static final List<String> SHARED_PREFIXES = List.of(
            "ilb prefix-affinity",
            "ilb scored",
            "ilb least-request",
            "haproxy-leastconn",
            "haproxy-roundrobin");

    static final List<String> FAULTS = List.of(
            "ilb peak-ewma",
            "ilb scored",
            // the slowed server misses the time-per-token target: passed over while the others cope
            "ilb scored?sloTtft=1s&sloTpot=50ms",
            "haproxy-leastconn",
            "haproxy-roundrobin");

    /** ilb only: its runs differ in the batch jobs beside the load (S5 compares them with each other). */
    static final List<String> BATCH = List.of(
            "ilb least-request");

    /** ilb with tenants (fair queuing by class and weight) against one queue for all. */
    static final List<String> NOISY_NEIGHBOUR = List.of(
            "ilb least-request",
            "haproxy-leastconn-maxconn");

    private Lineups() {
    }
}
