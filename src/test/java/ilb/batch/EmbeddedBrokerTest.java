package ilb.batch;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;

import ilb.Appliance;
import ilb.PoolRoute;
import ilb.Servers;
import org.apache.camel.ServiceStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedded broker is for convenience: when it cannot start, ilb serves without batch jobs rather than not at all. */
class EmbeddedBrokerTest {

    @TempDir
    Path dir;

    @Test
    void whenTheEmbeddedBrokersPortIsTakenIlbStillServesInference() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                Servers servers = new Servers()) {
            Appliance ilb = servers.ilb(PoolRoute.pool("m", "round-robin", PoolRoute.backend("a",
                    servers.fastBackend())), "ilb.batch.enabled=true", "ilb.kafka.embedded.port=" + taken.getLocalPort(),
                    "ilb.kafka.embedded.controllerPort=" + Appliance.freePort(),
                    "ilb.kafka.embedded.dir=" + dir);
            assertThat(ilb.post("/v1/chat/completions", Appliance.chat("m", 2)).statusCode()).isEqualTo(200);
            assertThat(ilb.context().getRouteController().getRouteStatus("batch-intake"))
                    .isNotEqualTo(ServiceStatus.Started);
        }
    }
}
