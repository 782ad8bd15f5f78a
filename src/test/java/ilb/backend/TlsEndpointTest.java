package ilb.backend;

import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import ilb.TestCertificates;
import io.netty.channel.nio.NioEventLoopGroup;
import org.apache.camel.CamelContext;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** How a {@code backend:} endpoint is written for TLS: its options, a profile's, and what it refuses at start. */
class TlsEndpointTest {

    @TempDir
    Path dir;
    private final NioEventLoopGroup loops = new NioEventLoopGroup(1);
    private final CamelContext camel = new DefaultCamelContext();
    private TestCertificates ca;
    private TestCertificates.Issued client;

    @BeforeEach
    void start() {
        ca = TestCertificates.authority(dir, "test-ca");
        client = ca.client("client", "ilb");
        Properties properties = new Properties();
        properties.setProperty("ilb.backend.tls.pool.trustFile", ca.caFile().toString());
        properties.setProperty("ilb.backend.tls.pool.clientCertFile", client.certFile().toString());
        properties.setProperty("ilb.backend.tls.pool.clientKeyFile", client.keyFile().toString());
        camel.getPropertiesComponent().setInitialProperties(properties);
        camel.addComponent("backend", new BackendComponent(loops));
        camel.start();
    }

    @AfterEach
    void stop() throws Exception {
        camel.stop();
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }

    private BackendTls tlsOf(String uri) {
        return camel.getEndpoint(uri, BackendEndpoint.class).group().serving().get(0).settings().tls();
    }

    @Test
    void backendsOfOneProfileShareItsContextAndTheirOwnNames() {
        BackendTls first = tlsOf("backend:first?url=https://gpu-0.example:8443&tlsProfile=pool&healthPath=");
        BackendTls second = tlsOf("backend:second?url=grpcs://gpu-1.example:8443&tlsProfile=pool&healthPath=");
        BackendTls third = tlsOf("backend:third?url=https://gpu-1.example:8443&tlsProfile=pool&healthPath=");

        assertThat(first.serverName()).isEqualTo("gpu-0.example");
        assertThat(first.clientCertificate()).isTrue();
        // gRPC's context negotiates HTTP/2: one of its own
        assertThat(second.context()).isNotSameAs(first.context());
        assertThat(third.context()).isSameAs(first.context());
        // an option of its own overrides the profile's
        assertThat(tlsOf("backend:own?url=https://gpu-2.example:8443&tlsProfile=pool&verifyHostname=false"
                + "&healthPath=").context()).isNotSameAs(first.context());
        assertThat(tlsOf("backend:plain?url=http://gpu-3.example:8000&healthPath=")).isNull();
    }

    @Test
    void tlsOptionsOnAPlainTextUrlAreRefused() {
        assertThatThrownBy(() -> tlsOf("backend:a?url=http://h:8000&trustFile=" + ca.caFile()))
                .hasStackTraceContaining("backend:a sets TLS options, but http://h:8000 is plain text: write https://"
                        + " or grpcs:// (tls=true for dns:// and srv://)");
        assertThatThrownBy(() -> tlsOf("backend:b?url=https://h:8443&tls=true"))
                .hasStackTraceContaining("backend:b: tls is for dns:// and srv:// urls");
    }

    @Test
    void aProfileWithoutOptionsAFileThatCannotBeReadAndACertificateWithoutKeyAreRefused() {
        assertThatThrownBy(() -> tlsOf("backend:a?url=https://h:8443&tlsProfile=nameless"))
                .hasStackTraceContaining("backend a: TLS profile 'nameless' has no options: set"
                        + " ilb.backend.tls.nameless.trustFile");
        assertThatThrownBy(() -> tlsOf("backend:b?url=https://h:8443&trustFile=" + dir.resolve("missing.pem")))
                .hasStackTraceContaining("backend b: trustFile " + dir.resolve("missing.pem").toAbsolutePath()
                        + " cannot be read");
        assertThatThrownBy(() -> tlsOf("backend:c?url=https://h:8443&clientCertFile=" + client.certFile()))
                .hasStackTraceContaining("backend c: clientCertFile and clientKeyFile go together");
    }
}
