package ilb.bench;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * S9: what a proxy costs by itself over gRPC (KServe v2 {@code ModelInfer}), measured as S1 measures it over HTTP
 * ({@link ProxyCost}): one simulated server that serves gRPC and answers at once, each call one small tensor. The
 * systems: the client talking to the server directly, ilb (its gRPC entry, the server a {@code grpc://} backend) and
 * HAProxy as a gRPC proxy ({@code mode http}, HTTP/2 on both sides). The client keeps its calls in flight over a few
 * HTTP/2 channels ({@link GrpcLoadClient}).
 */
final class GrpcOverhead implements Scenario {

    private static final String BASELINE = "haproxy-leastconn";
    /** Calls in flight in the closed loop, as S1's users. */
    private static final int CALLS = 64;
    /** HTTP/2 connections of the client to each system, calls spread over them in turn. */
    private static final int CHANNELS = 4;
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @Override
    public String id() {
        return "s9-grpc-overhead";
    }

    @Override
    public String title() {
        return "S9 gRPC overhead";
    }

    @Override
    public void run(BenchSettings settings, Report report) throws InterruptedException {
        ProxyCost cost = new ProxyCost("S9", BASELINE, "call", "calls/s", CALLS,
                CALLS + " calls in flight over " + CHANNELS + " HTTP/2 channels", ProxyOverhead.RATES, settings);
        List<BackendSpec> fleetSpecs = List.of(BackendSpec.instant().overGrpc());
        report.note("One simulated server that serves KServe v2 over gRPC and answers at once (" + fleetSpecs.get(0)
                + "); every call is a `ModelInfer` of one FP32 input of shape [1, " + GrpcLoadClient.ELEMENTS + "] as "
                + "`raw_input_contents` (" + GrpcLoadClient.REQUEST.getSerializedSize() + " bytes serialized), which "
                + "the server echoes as OUTPUT0. The client is grpc-java on one Netty I/O thread, asynchronous calls "
                + "over " + CHANNELS + " HTTP/2 channels to each system, each call on the next channel. Systems: "
                + "`direct` (client to server), `ilb least-request` (its gRPC entry, routes/api-grpc.yaml; the "
                + "server a `grpc://` backend, health checked by ServerReady every second; auth and batch off), "
                + "`haproxy-leastconn` (HAProxy 2.6 as a gRPC proxy: `mode http` with `proto h2` on the bind and "
                + "the server, so that it balances each call, as HAProxy documents gRPC, not `mode tcp`, which "
                + "would pin each client connection to one server; otherwise S1's production-style config, health "
                + "checks connection-only since an HTTP check cannot make a gRPC call). Client, server, ilb and "
                + "HAProxy share the machine's " + Runtime.getRuntime().availableProcessors() + " CPUs. "
                + cost.method() + " A call that ends in any gRPC status but OK, or whose answer is not the echo, is "
                + "an error.");

        Map<String, GrpcLoadClient> clients = new LinkedHashMap<>();
        try (SideBySide systems = SideBySide.start(Lineups.GRPC_OVERHEAD, fleetSpecs, TIMEOUT, settings)) {
            Map<String, ProxyCost.Target> targets = new LinkedHashMap<>();
            systems.testbeds().forEach((system, testbed) -> {
                GrpcLoadClient client = new GrpcLoadClient(testbed.system().baseUrl(), CHANNELS, TIMEOUT);
                clients.put(system, client);
                targets.put(system, new ProxyCost.Target(testbed.system(), client::send));
            });
            cost.measure(targets);
            cost.report(report, systems.unavailable());
        } finally {
            clients.values().forEach(GrpcLoadClient::close);
        }
    }
}
