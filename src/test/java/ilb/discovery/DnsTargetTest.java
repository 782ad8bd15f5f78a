package ilb.discovery;

import java.net.URI;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DnsTargetTest {

    @Test
    void aDnsUrlNamesTheServersPortAndAnOptionalBasePath() {
        DnsTarget target = DnsTarget.of(URI.create("dns://vllm.models.svc.cluster.local:8000/openai"));

        assertThat(target).isEqualTo(new DnsTarget(false, "vllm.models.svc.cluster.local", 8000, "/openai"));
        assertThat(target.serverUrl("http", new ServerAddress("10.0.0.7", 8000, 0)))
                .isEqualTo(URI.create("http://10.0.0.7:8000/openai"));
        assertThat(target.serverUrl("grpc", new ServerAddress("fd00::7", 9000, 0)))
                .hasToString("grpc://[fd00::7]:9000/openai");
    }

    @Test
    void anSrvUrlTakesItsPortsFromTheRecords() {
        assertThat(DnsTarget.of(URI.create("srv://_http._tcp.vllm.models.svc.cluster.local")))
                .isEqualTo(new DnsTarget(true, "_http._tcp.vllm.models.svc.cluster.local", 0, ""));
        assertThatThrownBy(() -> DnsTarget.of(URI.create("srv://_http._tcp.vllm:8000")))
                .hasMessageContaining("write no port");
    }

    @Test
    void certificatesAreForTheServicesNameNotTheSrvLabels() {
        assertThat(DnsTarget.of(URI.create("dns://vllm.models.svc:8000")).serviceName()).isEqualTo("vllm.models.svc");
        assertThat(DnsTarget.of(URI.create("srv://_https._tcp.vllm.models.svc")).serviceName())
                .isEqualTo("vllm.models.svc");
    }

    @Test
    void aDnsUrlWithoutPortIsRefusedWithTheFix() {
        assertThatThrownBy(() -> DnsTarget.of(URI.create("dns://vllm")))
                .hasMessageContaining("dns://vllm:8000");
        assertThat(DnsTarget.names(URI.create("http://vllm:8000"))).isFalse();
    }
}
