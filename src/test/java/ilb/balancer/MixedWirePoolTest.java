package ilb.balancer;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;

import ilb.Appliance;
import ilb.Servers;
import ilb.inference.Protocol;
import ilb.simulator.SimulatedBackend;
import ilb.simulator.SimulatorOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static ilb.PoolRoute.backend;
import static ilb.PoolRoute.pool;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A pool that mixes HTTP and gRPC backends of one model: KServe requests go to either, OpenAI requests only to the
 * HTTP ones (a backend over gRPC speaks KServe v2 only), never failing on, nor held against, a gRPC one.
 */
class MixedWirePoolTest {

    private static final Servers SERVERS = new Servers();
    private static SimulatedBackend grpc;
    private static Appliance ilb;

    @BeforeAll
    static void start() {
        SimulatedBackend http = SERVERS.backend(new SimulatorOptions().models("m"));
        grpc = SERVERS.backend(new SimulatorOptions().protocol(Protocol.GRPC).models("m"));
        SimulatedBackend onlyGrpc = SERVERS.backend(new SimulatorOptions().protocol(Protocol.GRPC).models("g"));
        ilb = SERVERS.ilb(pool("m", "round-robin", backend("http-0", http), backend("grpc-0", grpc))
                + pool("g", "round-robin", backend("grpc-1", onlyGrpc)));
    }

    @AfterAll
    static void stop() throws Exception {
        SERVERS.close();
    }

    @Test
    void openAiRequestsGoOnlyToTheHttpBackendAndKServeOnesToBoth() {
        // round-robin over both would give the gRPC backend every other request
        List<String> served = ilb.servedBy(6);
        assertThat(served).containsOnly("http-0");
        assertThat(ilb.backend("grpc-0").isDown()).isFalse();

        long before = grpc.inferenceRequests();
        List<String> kserve = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            HttpResponse<String> response = ilb.post("/v2/models/m/infer",
                    "{\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"datatype\":\"FP32\",\"data\":[1]}]}");
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            kserve.add(Appliance.servedBy(response));
        }
        assertThat(kserve).contains("http-0", "grpc-0");
        assertThat(grpc.inferenceRequests() - before).isEqualTo(kserve.stream().filter("grpc-0"::equals).count());
    }

    @Test
    void anOpenAiRequestToAPoolOfGrpcBackendsOnlySaysWhyNoneCanTakeIt() {
        HttpResponse<String> response = ilb.post("/v1/chat/completions", Appliance.chat("g", 2));

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.body()).contains("1 speaking KServe v2 over gRPC only");
        assertThat(ilb.backend("grpc-1").isDown()).isFalse();
    }
}
