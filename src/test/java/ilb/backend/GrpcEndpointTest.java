package ilb.backend;

import java.lang.management.ManagementFactory;
import java.util.concurrent.TimeUnit;

import javax.management.ObjectName;

import ilb.inference.Protocol;
import io.netty.channel.nio.NioEventLoopGroup;
import org.apache.camel.CamelContext;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** A {@code backend:} endpoint of a gRPC server: its settings, its health check, its channel's life. */
class GrpcEndpointTest {

    private final NioEventLoopGroup loops = new NioEventLoopGroup(1);
    private final CamelContext camel = new DefaultCamelContext();
    private KServeGrpcServer server;

    @BeforeEach
    void start() {
        camel.addComponent("backend", new BackendComponent(loops));
        camel.start();
    }

    @AfterEach
    void stop() throws Exception {
        camel.stop();
        if (server != null) {
            server.close();
        }
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }

    @Test
    void aGrpcEndpointIsCheckedWithServerReadyAndClosesItsChannelWhenItStops() throws Exception {
        server = KServeGrpcServer.start(KServeGrpcServer::answerEmpty);
        BackendEndpoint endpoint = camel.getEndpoint("backend:grpc-end?url=" + server.url() + "&healthInterval=50ms",
                BackendEndpoint.class);

        assertThat(endpoint.group().serving().get(0).settings().protocol()).isEqualTo(Protocol.GRPC);
        assertThat(endpoint.group().serving().get(0).settings().healthPath()).isEqualTo("/v2/health/ready");
        assertThat(server.nextCall().method()).isEqualTo("inference.GRPCInferenceService/ServerReady");
        assertThat(ManagementFactory.getPlatformMBeanServer().getAttribute(
                new ObjectName("ilb:type=Backend,name=grpc-end"), "Protocol")).isEqualTo("grpc");

        camel.removeEndpoint(endpoint);

        await().atMost(30, TimeUnit.SECONDS).untilAsserted(() -> assertThat(server.connectionsClosed).hasValue(1));
        assertThat(server.connectionsOpened).hasValue(1);
    }

    @Test
    void theProtocolOptionMakesAnHttpUrlSpeakGrpc() throws Exception {
        server = KServeGrpcServer.start(KServeGrpcServer::answerEmpty);
        BackendEndpoint endpoint = camel.getEndpoint("backend:grpc-option?url=http://127.0.0.1:" + server.port()
                + "&protocol=grpc&healthPath=grpc.health.v1.Health", BackendEndpoint.class);

        assertThat(endpoint.group().serving().get(0).settings().protocol()).isEqualTo(Protocol.GRPC);
        assertThat(server.nextCall().method()).isEqualTo("grpc.health.v1.Health/Check");
    }

    @Test
    void aBadProtocolFailsTheEndpointSayingWhy() {
        assertThatThrownBy(() -> camel.getEndpoint("backend:grpc-bad?url=http://127.0.0.1:1&protocol=h2c"))
                .rootCause().hasMessage("backend grpc-bad: protocol must be http or grpc, got 'h2c'");
    }
}
