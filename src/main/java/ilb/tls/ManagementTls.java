package ilb.tls;

import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.HexFormat;

import org.apache.camel.support.jsse.KeyManagersParameters;
import org.apache.camel.support.jsse.KeyStoreParameters;
import org.apache.camel.support.jsse.SSLContextParameters;

/**
 * TLS for Camel's management server (/observe/*) from PEM files: SSL parameters of that server alone, holding the
 * certificate and key in a key store made in memory. Vert.x reads them once, when the server starts: a renewed
 * certificate is served after a restart.
 */
public final class ManagementTls {

    private ManagementTls() {
    }

    public static SSLContextParameters parameters(CertifiedKey pair) {
        // protects the key inside a key store that lives in this JVM's memory only
        byte[] random = new byte[16];
        new SecureRandom().nextBytes(random);
        String keyPassword = HexFormat.of().formatHex(random);
        KeyStoreParameters store = new KeyStoreParameters() {
            @Override
            public KeyStore createKeyStore() throws java.security.GeneralSecurityException, java.io.IOException {
                KeyStore keyStore = KeyStore.getInstance("PKCS12");
                keyStore.load(null, null);
                keyStore.setKeyEntry("ilb", pair.key(), keyPassword.toCharArray(),
                        pair.chain().toArray(X509Certificate[]::new));
                return keyStore;
            }
        };
        KeyManagersParameters keyManagers = new KeyManagersParameters();
        keyManagers.setKeyStore(store);
        keyManagers.setKeyPassword(keyPassword);
        SSLContextParameters parameters = new SSLContextParameters();
        parameters.setKeyManagers(keyManagers);
        return parameters;
    }
}
