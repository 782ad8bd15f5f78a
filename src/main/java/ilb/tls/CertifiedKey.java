package ilb.tls;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * A server's certificate chain (leaf first) and the private key of its leaf, checked to belong together: a key
 * that does not sign what the leaf's public key verifies is refused.
 */
public record CertifiedKey(List<X509Certificate> chain, PrivateKey key) {

    private static final byte[] PROBE = "ilb: does this key match its certificate?".getBytes(StandardCharsets.UTF_8);

    public CertifiedKey {
        chain = List.copyOf(chain);
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("no certificate");
        }
    }

    /** The pair, once the key is shown to be the leaf's. */
    public static CertifiedKey matched(List<X509Certificate> chain, PrivateKey key) throws GeneralSecurityException {
        CertifiedKey pair = new CertifiedKey(chain, key);
        X509Certificate leaf = pair.leaf();
        String algorithm = signatureAlgorithm(key);
        Signature signer = Signature.getInstance(algorithm);
        signer.initSign(key);
        signer.update(PROBE);
        byte[] signature = signer.sign();
        Signature verifier = Signature.getInstance(algorithm);
        verifier.initVerify(leaf.getPublicKey());
        verifier.update(PROBE);
        if (!verifier.verify(signature)) {
            throw new GeneralSecurityException("the private key does not match the certificate "
                    + leaf.getSubjectX500Principal().getName());
        }
        return pair;
    }

    public X509Certificate leaf() {
        return chain.get(0);
    }

    /** The leaf's subject, serial (hex) and end of validity, for the log: nothing secret. */
    public String describe() {
        X509Certificate leaf = leaf();
        return leaf.getSubjectX500Principal().getName() + " serial " + leaf.getSerialNumber().toString(16)
                + " valid until " + leaf.getNotAfter().toInstant();
    }

    private static String signatureAlgorithm(PrivateKey key) throws GeneralSecurityException {
        return switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "Ed25519", "Ed448", "EdDSA" -> key.getAlgorithm();
            default -> throw new GeneralSecurityException("unsupported key algorithm " + key.getAlgorithm());
        };
    }
}
