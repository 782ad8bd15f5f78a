package ilb.backend;

import java.net.URI;
import java.util.concurrent.TimeUnit;

import ilb.Appliance;
import ilb.inference.Protocol;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.netty.channel.nio.NioEventLoopGroup;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A gRPC backend's health check asks KServe's ServerReady, or the standard health service, and marks it up or down. */
class GrpcHealthCheckTest {

    private final NioEventLoopGroup loops = new NioEventLoopGroup(1);
    private final BackendClients clients = new BackendClients(loops, 1 << 20);
    private KServeGrpcServer server;

    @AfterEach
    void stop() throws Exception {
        clients.close();
        if (server != null) {
            server.close();
        }
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }

    private HealthCheck check(String url, String healthPath) {
        BackendSettings settings = new BackendSettings("g", URI.create(url), Protocol.GRPC, 0, 1, 4, healthPath, "",
                "", "", 10_000, 10_000, 1000, 1000, 0, null, null);
        clients.hold(settings);
        return new HealthCheck(new Backend(settings, CircuitBreakerConfig.ofDefaults(), new OutlierEjection(0, 0, 0), 64),
                clients);
    }

    private static String checkNow(HealthCheck check) throws Exception {
        return check.now().get(30, TimeUnit.SECONDS);
    }

    @Test
    void serverReadyMarksTheBackendDownAndUp() throws Exception {
        server = KServeGrpcServer.start(KServeGrpcServer::answerEmpty);
        HealthCheck check = check(server.url(), BackendSettings.defaultHealthPath(Protocol.GRPC));

        assertThat(checkNow(check)).startsWith("healthy: /v2/health/ready answered 200");
        server.ready = false;
        assertThat(checkNow(check)).startsWith("unhealthy: health check answered 503");
        assertThat(check.backend.isDown()).isFalse();
        checkNow(check);
        assertThat(check.backend.isDown()).isTrue();
        server.ready = true;
        checkNow(check);
        assertThat(check.backend.isDown()).isFalse();

        assertThat(server.calls).hasSize(4).allSatisfy(call ->
                assertThat(call.method()).isEqualTo("inference.GRPCInferenceService/ServerReady"));
    }

    @Test
    void theStandardHealthServiceMarksTheBackendDownAndUp() throws Exception {
        server = KServeGrpcServer.start(KServeGrpcServer::answerEmpty);
        server.health.setStatus("inference", ServingStatus.SERVING);
        HealthCheck check = check(server.url(), "grpc.health.v1.Health/inference");

        assertThat(checkNow(check)).startsWith("healthy");
        server.health.setStatus("inference", ServingStatus.NOT_SERVING);
        checkNow(check);
        checkNow(check);
        assertThat(check.backend.isDown()).isTrue();
        server.health.setStatus("inference", ServingStatus.SERVING);
        checkNow(check);
        assertThat(check.backend.isDown()).isFalse();

        assertThat(server.calls).hasSize(4).allSatisfy(call ->
                assertThat(call.method()).isEqualTo("grpc.health.v1.Health/Check"));
    }

    @Test
    void aServiceTheServerDoesNotKnowIsDown() throws Exception {
        server = KServeGrpcServer.start(KServeGrpcServer::answerEmpty);
        HealthCheck check = check(server.url(), "grpc.health.v1.Health/other");

        // the health service answers NOT_FOUND: the backend's own answer, a 404
        assertThat(checkNow(check)).startsWith("unhealthy: health check answered 404");
        checkNow(check);
        assertThat(check.backend.isDown()).isTrue();
    }

    @Test
    void aServerThatIsNotThereIsDownUntilItComes() throws Exception {
        int port = Appliance.freePort();
        HealthCheck check = check("grpc://127.0.0.1:" + port, "grpc.health.v1.Health");

        assertThat(checkNow(check)).startsWith("unhealthy: could not connect");
        checkNow(check);
        assertThat(check.backend.isDown()).isTrue();

        server = KServeGrpcServer.start(port, KServeGrpcServer::answerEmpty);
        // not after gRPC's reconnection backoff: the next checks connect again
        await().atMost(30, TimeUnit.SECONDS).until(() -> checkNow(check).startsWith("healthy"));
        assertThat(check.backend.isDown()).isFalse();
    }
}
