package ilb.tls;

import java.io.IOException;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.HexFormat;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A key manager whose certificate and key are replaced when their files change ({@link #check()}), so that a TLS
 * context built once presents the renewed certificate from its next handshake on: a server's (the API, the console),
 * or a client's (ilb's certificate for mutual TLS with backends): no restart, and the
 * connections open keep their session. A change that cannot be read, or whose key does not match its certificate
 * (a pair caught half written), is refused with one warning and the pair in use stays; it is taken once the files
 * are whole.
 * <p>
 * Each pair has an alias of its own, so a handshake that chose one while the next came in still gets that one's
 * chain and key together.
 */
public final class ReloadingKeyManager extends X509ExtendedKeyManager {

    private static final Logger LOG = LoggerFactory.getLogger(ReloadingKeyManager.class);

    private final KeySource source;
    private final String name;
    private volatile Served current;
    private volatile Served previous;
    /** The digest of the files whose pair is served. */
    private byte[] loaded;
    /** What was last refused (files' digest, or the read error): each refusal is warned about once. */
    private Object refused;
    private int generation;

    private record Served(String alias, CertifiedKey pair) {
    }

    /**
     * Reads the pair now.
     *
     * @param name what the certificate serves (for the log: "the inference API")
     * @throws GeneralSecurityException the files cannot be read, or do not hold a certificate and its key
     */
    public ReloadingKeyManager(KeySource source, String name) throws GeneralSecurityException {
        this.source = source;
        this.name = name;
        KeySource.Snapshot snapshot;
        try {
            snapshot = source.read();
        } catch (IOException e) {
            throw new GeneralSecurityException("cannot read " + source.describe() + ": " + e, e);
        }
        current = new Served(alias(), source.parse(snapshot));
        loaded = snapshot.digest();
        logServed("", current.pair());
    }

    /**
     * Reads the files and takes their pair if they changed and are whole. Called on a scheduled thread (never an
     * event loop: it reads files). True if a new pair is now served.
     */
    public synchronized boolean check() {
        KeySource.Snapshot snapshot;
        try {
            snapshot = source.read();
        } catch (IOException e) {
            warnOnce(String.valueOf(e), "cannot read " + source.describe() + ": " + e);
            return false;
        }
        byte[] digest = snapshot.digest();
        if (Arrays.equals(digest, loaded)) {
            refused = null;
            return false;
        }
        CertifiedKey pair;
        try {
            pair = source.parse(snapshot);
        } catch (GeneralSecurityException | RuntimeException e) {
            warnOnce(HexFormat.of().formatHex(digest), source.describe() + " changed but were refused ("
                    + e.getMessage() + ")");
            return false;
        }
        loaded = digest;
        refused = null;
        previous = current;
        current = new Served(alias(), pair);
        logServed(" reloaded", pair);
        return true;
    }

    /** The certificate and key served to new handshakes now. */
    public CertifiedKey current() {
        return current.pair();
    }

    /** The pair now served, with a warning if its certificate is out of its validity: clients will refuse it. */
    private void logServed(String how, CertifiedKey pair) {
        try {
            pair.leaf().checkValidity();
            LOG.info("TLS for {}{}: {}", name, how, pair.describe());
        } catch (CertificateException e) {
            LOG.warn("TLS for {}{}: {}, which is not valid now ({})", name, how, pair.describe(), e.getMessage());
        }
    }

    private void warnOnce(Object refusal, String message) {
        if (!refusal.equals(refused)) {
            refused = refusal;
            LOG.warn("TLS for {}: {}; still serving {}", name, message, current.pair().describe());
        }
    }

    private String alias() {
        return "ilb-" + ++generation;
    }

    private Served served(String alias) {
        Served now = current;
        if (now.alias().equals(alias)) {
            return now;
        }
        Served before = previous;
        return before != null && before.alias().equals(alias) ? before : null;
    }

    /**
     * The current alias if its key suits the key type asked ("EC", "RSA", and TLS 1.2's "EC_EC"-like forms whose
     * first part is the key's algorithm; "RSASSA-PSS" with an RSA key).
     */
    private String chooseServerAlias(String keyType) {
        Served now = current;
        String algorithm = now.pair().key().getAlgorithm();
        String wanted = keyType.contains("_") ? keyType.substring(0, keyType.indexOf('_')) : keyType;
        boolean suits = wanted.equals(algorithm) || wanted.equals("RSASSA-PSS") && algorithm.equals("RSA")
                || wanted.equals("EdDSA") && algorithm.startsWith("Ed");
        return suits ? now.alias() : null;
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        return chooseServerAlias(keyType);
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return chooseServerAlias(keyType);
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        String alias = chooseServerAlias(keyType);
        return alias == null ? null : new String[] {alias};
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        Served served = served(alias);
        return served == null ? null : served.pair().chain().toArray(X509Certificate[]::new);
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        Served served = served(alias);
        return served == null ? null : served.pair().key();
    }

    /** As a client's (mutual TLS to a backend): the current pair, for whichever key type the server takes. */
    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        String alias = chooseServerAlias(keyType);
        return alias == null ? null : new String[] {alias};
    }

    @Override
    public String chooseClientAlias(String[] keyTypes, Principal[] issuers, Socket socket) {
        for (String keyType : keyTypes) {
            String alias = chooseServerAlias(keyType);
            if (alias != null) {
                return alias;
            }
        }
        return null;
    }

    @Override
    public String chooseEngineClientAlias(String[] keyTypes, Principal[] issuers, SSLEngine engine) {
        return chooseClientAlias(keyTypes, issuers, null);
    }
}
