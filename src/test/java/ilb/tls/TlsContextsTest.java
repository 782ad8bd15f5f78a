package ilb.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;

import ilb.TestCertificates;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.OpenSslContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TlsContextsTest {

    @TempDir
    Path dir;

    @Test
    void servesWithBoringSslWhereItsNativeLibraryLoads() throws Exception {
        // netty-tcnative-boringssl-static ships this platform's library (as it does Linux arm64's, macOS', Windows')
        assumeTrue(System.getProperty("os.name").equals("Linux") && System.getProperty("os.arch").equals("amd64"));
        assertThat(OpenSsl.isAvailable()).as("%s", OpenSsl.unavailabilityCause()).isTrue();
        assertThat(TlsContexts.provider()).isEqualTo(SslProvider.OPENSSL);

        TestCertificates.Issued issued = TestCertificates.authority(dir, "ca").server("api", "localhost");
        ReloadingKeyManager keys = new ReloadingKeyManager(new KeySource.PemFiles(issued.certFile(),
                issued.keyFile()), "test");
        SslContext http = TlsContexts.http(keys);
        SslContext grpc = TlsContexts.grpc(keys);
        assertThat(http).isInstanceOf(OpenSslContext.class);
        assertThat(grpc).isInstanceOf(OpenSslContext.class);
        assertThat(grpc.applicationProtocolNegotiator().protocols()).contains("h2");
    }
}
