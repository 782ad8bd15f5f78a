package ilb.tls;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import ilb.TestCertificates;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A TLS setting that cannot work stops ilb with a message naming the property and the file. */
class TlsSettingsTest {

    @TempDir
    Path dir;

    @Test
    void noneSetIsPlaintext() {
        assertThat(TlsSettings.keyManager(properties(Map.of()), "ilb.tls", "test")).isEmpty();
    }

    @Test
    void aCertificateWithoutItsKeyIsRefused() {
        TestCertificates.Issued issued = TestCertificates.authority(dir, "ca").server("api", "localhost");

        assertThatThrownBy(() -> TlsSettings.keyManager(properties(Map.of("ilb.tls.certFile",
                issued.certFile().toString())), "ilb.tls", "test"))
                .hasMessage("ilb.tls.certFile is set without ilb.tls.keyFile");
    }

    @Test
    void anUnreadableFileIsNamed() {
        Path missing = dir.resolve("missing.pem");
        assertThatThrownBy(() -> TlsSettings.keyManager(properties(Map.of("ilb.console.tls.certFile",
                missing.toString(), "ilb.console.tls.keyFile", missing.toString())), "ilb.console.tls", "test"))
                .hasMessageContaining("ilb.console.tls.certFile").hasMessageContaining(missing.toString());
    }

    @Test
    void aKeyThatIsNotTheCertificatesIsNamed() {
        TestCertificates ca = TestCertificates.authority(dir, "ca");
        TestCertificates.Issued one = ca.server("one", "localhost");
        TestCertificates.Issued other = ca.server("other", "localhost");

        assertThatThrownBy(() -> TlsSettings.keyManager(properties(Map.of("ilb.tls.certFile",
                one.certFile().toString(), "ilb.tls.keyFile", other.keyFile().toString())), "ilb.tls", "test"))
                .hasMessageContaining("ilb.tls.certFile and ilb.tls.keyFile")
                .hasMessageContaining(one.certFile().toString())
                .hasMessageContaining("does not match");
    }

    @Test
    void aKeyStoreNeedsItsPasswordAndExcludesPemFiles() {
        TestCertificates.Issued issued = TestCertificates.authority(dir, "ca").server("api", "localhost");
        String store = issued.keyStore("secret").toString();

        assertThatThrownBy(() -> TlsSettings.keyManager(properties(Map.of("ilb.tls.keyStore", store)), "ilb.tls",
                "test")).hasMessage("ilb.tls.keyStore is set without ilb.tls.keyStorePassword");
        assertThatThrownBy(() -> TlsSettings.keyManager(properties(Map.of("ilb.tls.keyStore", store,
                "ilb.tls.certFile", issued.certFile().toString())), "ilb.tls", "test"))
                .hasMessageContaining("not both");
        assertThat(TlsSettings.keyManager(properties(Map.of("ilb.tls.keyStore", store, "ilb.tls.keyStorePassword",
                "secret")), "ilb.tls", "test")).isPresent();
    }

    private static java.util.function.Function<String, Optional<String>> properties(Map<String, String> values) {
        Map<String, String> copy = new HashMap<>(values);
        return name -> Optional.ofNullable(copy.get(name));
    }
}
