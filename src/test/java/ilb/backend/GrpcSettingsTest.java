package ilb.backend;

import java.net.URI;

import ilb.inference.Protocol;
import ilb.protocols.grpc.v2.ModelReadyRequest;
import io.grpc.health.v1.HealthCheckRequest;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** How a route file says a backend speaks gRPC, and what its health path may name. */
class GrpcSettingsTest {

    private static BackendSettings settings(String url, Protocol protocol, String healthPath) {
        return new BackendSettings("g", URI.create(url), protocol, 0, 1, 4, healthPath, "/metrics", "", "", 1000,
                1000, 1000, 1000, 200, null, null);
    }

    @Test
    void aGrpcUrlOrTheProtocolOptionMakesAGrpcBackend() {
        assertThat(BackendSettings.protocolOf("g", URI.create("grpc://10.0.0.7:8001"), null))
                .isEqualTo(Protocol.GRPC);
        assertThat(BackendSettings.protocolOf("g", URI.create("http://10.0.0.7:8001"), "grpc"))
                .isEqualTo(Protocol.GRPC);
        assertThat(BackendSettings.protocolOf("g", URI.create("http://10.0.0.7:8000"), null))
                .isEqualTo(Protocol.HTTP);
        assertThat(BackendSettings.protocolOf("g", URI.create("http://10.0.0.7:8000"), "http"))
                .isEqualTo(Protocol.HTTP);
        assertThat(BackendSettings.protocolOf("g", URI.create("grpcs://10.0.0.7:8001"), null))
                .isEqualTo(Protocol.GRPC);
        assertThat(BackendSettings.protocolOf("g", URI.create("https://10.0.0.7:8001"), "grpc"))
                .isEqualTo(Protocol.GRPC);
    }

    @Test
    void aTlsUrlNeedsTlsSettingsAndAPlainOneTakesNone() {
        assertThatThrownBy(() -> settings("https://h:8443", Protocol.HTTP, ""))
                .hasMessage("backend g: https://h:8443 needs TLS settings");
        assertThatThrownBy(() -> settings("grpcs://h:8443", Protocol.GRPC, ""))
                .hasMessage("backend g: grpcs://h:8443 needs TLS settings");
    }

    @Test
    void anotherProtocolIsRefusedByName() {
        assertThatThrownBy(() -> BackendSettings.protocolOf("g", URI.create("http://h:1"), "h2c"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("backend g: protocol must be http or grpc, got 'h2c'");
    }

    @Test
    void aGrpcUrlSpeaksGrpcOnAPortWithoutAPath() {
        assertThatThrownBy(() -> settings("grpc://h:8001", Protocol.HTTP, ""))
                .hasMessageContaining("a grpc:// url speaks gRPC, not protocol http");
        assertThatThrownBy(() -> settings("grpc://h", Protocol.GRPC, ""))
                .hasMessageContaining("url must be http[s]://host:port[/path] or grpc[s]://host:port");
        assertThatThrownBy(() -> settings("http://h:8001/base", Protocol.GRPC, ""))
                .hasMessageContaining("a gRPC backend's url has no path");
        assertThatThrownBy(() -> settings("ftp://h:8001", Protocol.GRPC, ""))
                .hasMessageContaining("url must be");
        assertThat(settings("http://h:8001/", Protocol.GRPC, "").port()).isEqualTo(8001);
    }

    @Test
    void aGrpcBackendIsCheckedWithServerReadyUnlessItSaysOtherwise() {
        assertThat(BackendSettings.defaultHealthPath(Protocol.GRPC)).isEqualTo("/v2/health/ready");
        assertThat(BackendSettings.defaultHealthPath(Protocol.HTTP)).isEqualTo("/health");
        assertThat(GrpcHealthProbe.of("/v2/health/ready").method().getFullMethodName())
                .isEqualTo("inference.GRPCInferenceService/ServerReady");
        assertThat(GrpcHealthProbe.of("/v2/health/live").method().getFullMethodName())
                .isEqualTo("inference.GRPCInferenceService/ServerLive");
    }

    @Test
    void aModelsReadyPathAsksModelReadyOfThatModelAndVersion() throws Exception {
        GrpcHealthProbe versioned = GrpcHealthProbe.of("/v2/models/resnet/versions/3/ready");
        GrpcHealthProbe any = GrpcHealthProbe.of("/v2/models/resnet/ready");

        assertThat(versioned.method().getFullMethodName()).isEqualTo("inference.GRPCInferenceService/ModelReady");
        assertThat(ModelReadyRequest.parseFrom(versioned.request()))
                .isEqualTo(ModelReadyRequest.newBuilder().setName("resnet").setVersion("3").build());
        assertThat(ModelReadyRequest.parseFrom(any.request()))
                .isEqualTo(ModelReadyRequest.newBuilder().setName("resnet").build());
    }

    @Test
    void theStandardHealthServiceAsksForTheServerOrOneService() throws Exception {
        GrpcHealthProbe server = GrpcHealthProbe.of("grpc.health.v1.Health");
        GrpcHealthProbe service = GrpcHealthProbe.of("grpc.health.v1.Health/inference.GRPCInferenceService");

        assertThat(server.method().getFullMethodName()).isEqualTo("grpc.health.v1.Health/Check");
        assertThat(HealthCheckRequest.parseFrom(server.request()).getService()).isEmpty();
        assertThat(HealthCheckRequest.parseFrom(service.request()).getService())
                .isEqualTo("inference.GRPCInferenceService");
    }

    @Test
    void aHealthPathNoCallStandsForIsRefused() {
        assertThatThrownBy(() -> settings("grpc://h:8001", Protocol.GRPC, "/health"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("backend g: a gRPC backend's healthPath is /v2/health/ready")
                .hasMessageEndingWith("got '/health'");
        // an HTTP backend's health path is any path
        assertThat(settings("http://h:8000", Protocol.HTTP, "/health").healthPath()).isEqualTo("/health");
    }

    @Test
    void aGrpcBackendsMetricsAreNotScraped() {
        assertThat(settings("grpc://h:8001", Protocol.GRPC, "").scrapesMetrics()).isFalse();
        assertThat(settings("http://h:8000", Protocol.HTTP, "").scrapesMetrics()).isTrue();
    }
}
