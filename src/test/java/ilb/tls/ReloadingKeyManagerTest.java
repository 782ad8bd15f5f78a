package ilb.tls;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.math.BigInteger;

import ilb.TestCertificates;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The key manager takes renewed files, refuses broken ones keeping its pair, and gives each pair its own alias. */
class ReloadingKeyManagerTest {

    @TempDir
    Path dir;

    @Test
    void servesTheFilesPairAndTakesARenewalOnTheNextCheck() throws Exception {
        TestCertificates ca = TestCertificates.authority(dir, "ca");
        TestCertificates.Issued first = ca.server("api", "localhost");
        ReloadingKeyManager keys = new ReloadingKeyManager(new KeySource.PemFiles(first.certFile(), first.keyFile()),
                "test");
        String alias = keys.chooseEngineServerAlias("EC", null, null);
        assertThat(keys.getCertificateChain(alias)[0]).isEqualTo(first.certificate());
        assertThat(keys.getPrivateKey(alias)).isEqualTo(first.keys().getPrivate());
        assertThat(keys.check()).as("unchanged files").isFalse();

        TestCertificates.Issued renewed = ca.server("renewed", "localhost");
        replace(renewed.keyFile(), first.keyFile());
        replace(renewed.certFile(), first.certFile());

        assertThat(keys.check()).isTrue();
        assertThat(serial(keys)).isEqualTo(renewed.certificate().getSerialNumber());
        // a handshake that chose the old pair just before still gets that pair whole
        assertThat(keys.getCertificateChain(alias)[0]).isEqualTo(first.certificate());
        assertThat(keys.getPrivateKey(alias)).isEqualTo(first.keys().getPrivate());
        assertThat(keys.check()).isFalse();
    }

    @Test
    void aKeyThatIsNotTheCertificatesIsRefusedAndTheServedPairStays() throws Exception {
        TestCertificates ca = TestCertificates.authority(dir, "ca");
        TestCertificates.Issued first = ca.server("api", "localhost");
        ReloadingKeyManager keys = new ReloadingKeyManager(new KeySource.PemFiles(first.certFile(), first.keyFile()),
                "test");

        // the certificate renewed, its key not yet written
        replace(ca.server("renewed", "localhost").certFile(), first.certFile());
        assertThat(keys.check()).isFalse();
        assertThat(serial(keys)).isEqualTo(first.certificate().getSerialNumber());
        // half a file
        Files.writeString(first.keyFile(), "-----BEGIN PRIVATE KEY-----\nMIGH");
        assertThat(keys.check()).isFalse();
        assertThat(serial(keys)).isEqualTo(first.certificate().getSerialNumber());
        // whole again
        TestCertificates.Issued whole = ca.server("whole", "localhost");
        replace(whole.keyFile(), first.keyFile());
        replace(whole.certFile(), first.certFile());
        assertThat(keys.check()).isTrue();
        assertThat(serial(keys)).isEqualTo(whole.certificate().getSerialNumber());
    }

    @Test
    void followsAKubernetesSecretVolumesSymlinkSwap() throws Exception {
        // <volume>/tls.crt -> ..data/tls.crt, ..data -> ..<timestamp>: a renewal writes a new folder and swaps ..data
        TestCertificates ca = TestCertificates.authority(dir.resolve("issued"), "ca");
        Path volume = Files.createDirectories(dir.resolve("volume"));
        TestCertificates.Issued first = ca.server("first", "localhost");
        Path data = secretVersion(volume, "..2026_01", first);
        Files.createSymbolicLink(volume.resolve("..data"), data.getFileName());
        Files.createSymbolicLink(volume.resolve("tls.crt"), Path.of("..data", "tls.crt"));
        Files.createSymbolicLink(volume.resolve("tls.key"), Path.of("..data", "tls.key"));
        ReloadingKeyManager keys = new ReloadingKeyManager(new KeySource.PemFiles(volume.resolve("tls.crt"),
                volume.resolve("tls.key")), "test");

        TestCertificates.Issued renewed = ca.server("renewed", "localhost");
        Path next = secretVersion(volume, "..2026_02", renewed);
        Path link = volume.resolve("..data_tmp");
        Files.createSymbolicLink(link, next.getFileName());
        Files.move(link, volume.resolve("..data"), StandardCopyOption.ATOMIC_MOVE);

        assertThat(keys.check()).isTrue();
        assertThat(serial(keys)).isEqualTo(renewed.certificate().getSerialNumber());
    }

    @Test
    void readsAPkcs12KeyStore() throws Exception {
        TestCertificates.Issued issued = TestCertificates.authority(dir, "ca").server("api", "localhost");
        ReloadingKeyManager keys = new ReloadingKeyManager(new KeySource.KeyStoreFile(issued.keyStore("secret"),
                "secret".toCharArray()), "test");

        assertThat(serial(keys)).isEqualTo(issued.certificate().getSerialNumber());
        assertThatThrownBy(() -> new ReloadingKeyManager(new KeySource.KeyStoreFile(issued.keyStore("secret"),
                "wrong".toCharArray()), "test")).isInstanceOf(GeneralSecurityException.class)
                .hasMessageContaining("wrong password");
    }

    @Test
    void offersTheKeyOnlyForItsOwnKeyType() throws Exception {
        TestCertificates.Issued issued = TestCertificates.authority(dir, "ca").server("api", "localhost");
        ReloadingKeyManager keys = new ReloadingKeyManager(new KeySource.PemFiles(issued.certFile(),
                issued.keyFile()), "test");

        assertThat(keys.chooseEngineServerAlias("RSA", null, null)).isNull();
        assertThat(keys.chooseEngineServerAlias("EC", null, null)).isNotNull();
        // as a client's (mutual TLS), the same
        assertThat(keys.chooseEngineClientAlias(new String[] {"RSA"}, null, null)).isNull();
        assertThat(keys.chooseEngineClientAlias(new String[] {"RSA", "EC"}, null, null))
                .isEqualTo(keys.chooseEngineServerAlias("EC", null, null));
    }

    private static BigInteger serial(ReloadingKeyManager keys) {
        return keys.current().leaf().getSerialNumber();
    }

    private static Path secretVersion(Path volume, String name, TestCertificates.Issued issued) throws IOException {
        Path version = Files.createDirectories(volume.resolve(name));
        Files.copy(issued.certFile(), version.resolve("tls.crt"));
        Files.copy(issued.keyFile(), version.resolve("tls.key"));
        return version;
    }

    /** As a renewal writes a file: a new file moved over the old one. */
    static void replace(Path from, Path to) throws IOException {
        Path next = to.resolveSibling(to.getFileName() + ".next");
        Files.copy(from, next, StandardCopyOption.REPLACE_EXISTING);
        Files.move(next, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
