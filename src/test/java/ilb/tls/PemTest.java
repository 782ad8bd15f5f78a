package ilb.tls;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.util.Base64;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** PEM keys as servers are given them: PKCS#8, PKCS#1 RSA; SEC1 refused with how to convert it. */
class PemTest {

    @Test
    void readsPkcs8AndPkcs1RsaKeys() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        KeyPair rsa = generator.generateKeyPair();
        byte[] pkcs8 = rsa.getPrivate().getEncoded();

        assertThat(Pem.privateKey(pem("PRIVATE KEY", pkcs8))).isEqualTo(rsa.getPrivate());
        // PKCS#1 is the OCTET STRING a PKCS#8 RSA key wraps: its last part, after a 26-byte header for 2048 bits
        byte[] pkcs1 = java.util.Arrays.copyOfRange(pkcs8, 26, pkcs8.length);
        PrivateKey fromPkcs1 = Pem.privateKey(pem("RSA PRIVATE KEY", pkcs1));
        assertThat(fromPkcs1.getEncoded()).isEqualTo(pkcs8);
    }

    @Test
    void readsEcPkcs8AndSaysHowToConvertSec1() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(256);
        KeyPair ec = generator.generateKeyPair();

        assertThat(Pem.privateKey(pem("PRIVATE KEY", ec.getPrivate().getEncoded()))).isEqualTo(ec.getPrivate());
        assertThatThrownBy(() -> Pem.privateKey(pem("EC PRIVATE KEY", new byte[] {1, 2, 3})))
                .hasMessageContaining("PKCS8");
        assertThatThrownBy(() -> Pem.privateKey("no key here")).hasMessageContaining("no PEM PRIVATE KEY");
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
