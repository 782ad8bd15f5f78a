package ilb.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * Where a server's certificate and key are read from: PEM files or a key store. Read as a snapshot of the files'
 * bytes, so that the same bytes tell whether they changed (a Kubernetes Secret volume changes by swapping a
 * {@code ..data} symlink, which leaves the files' own paths and often their times as they were).
 */
public sealed interface KeySource {

    /** The bytes of the files now, following symlinks. */
    Snapshot read() throws IOException;

    /** The certificate and key in a snapshot, checked to match. */
    CertifiedKey parse(Snapshot snapshot) throws GeneralSecurityException;

    /** What the source is, for messages: its files. */
    String describe();

    /** The files' bytes as read at one time. */
    record Snapshot(List<byte[]> files) {

        /** A digest of the bytes: equal digests, unchanged files. */
        public byte[] digest() {
            try {
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                for (byte[] file : files) {
                    sha.update(sha.digest(file));
                }
                return sha.digest();
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** A PEM certificate chain and a PEM private key, in two files (or one, named twice). */
    record PemFiles(Path certFile, Path keyFile) implements KeySource {

        @Override
        public Snapshot read() throws IOException {
            return new Snapshot(List.of(Files.readAllBytes(certFile), Files.readAllBytes(keyFile)));
        }

        @Override
        public CertifiedKey parse(Snapshot snapshot) throws GeneralSecurityException {
            List<X509Certificate> chain = Pem.certificates(text(snapshot.files().get(0)));
            return CertifiedKey.matched(chain, Pem.privateKey(text(snapshot.files().get(1))));
        }

        @Override
        public String describe() {
            return certFile + " and " + keyFile;
        }

        private static String text(byte[] bytes) {
            return new String(bytes, StandardCharsets.US_ASCII);
        }
    }

    /**
     * A PKCS#12 or JKS key store holding one key entry with its chain; the
     * password opens the store and the key.
     */
    record KeyStoreFile(Path file, char[] password) implements KeySource {

        @Override
        public Snapshot read() throws IOException {
            return new Snapshot(List.of(Files.readAllBytes(file)));
        }

        @Override
        public CertifiedKey parse(Snapshot snapshot) throws GeneralSecurityException {
            KeyStore store = open(snapshot.files().get(0));
            List<String> keyAliases = new ArrayList<>();
            for (String alias : Collections.list(store.aliases())) {
                if (store.isKeyEntry(alias)) {
                    keyAliases.add(alias);
                }
            }
            if (keyAliases.size() != 1) {
                throw new GeneralSecurityException("the key store must hold one private key entry, not "
                        + keyAliases.size());
            }
            String alias = keyAliases.get(0);
            Key key = store.getKey(alias, password);
            Certificate[] chain = store.getCertificateChain(alias);
            if (!(key instanceof PrivateKey privateKey) || chain == null) {
                throw new GeneralSecurityException("entry " + alias + " is not a private key with certificates");
            }
            return CertifiedKey.matched(Arrays.stream(chain).map(X509Certificate.class::cast).toList(), privateKey);
        }

        @Override
        public String describe() {
            return file.toString();
        }

        /** Read as PKCS#12, else as JKS: from the bytes checked, never a copy on disk. */
        private KeyStore open(byte[] bytes) throws GeneralSecurityException {
            Exception last = null;
            for (String type : new String[] {"PKCS12", "JKS"}) {
                try {
                    KeyStore store = KeyStore.getInstance(type);
                    store.load(new ByteArrayInputStream(bytes), password);
                    return store;
                } catch (IOException | GeneralSecurityException e) {
                    last = e;
                }
            }
            throw new GeneralSecurityException("cannot open the key store as PKCS#12 or JKS (wrong password?): "
                    + last.getMessage(), last);
        }

        @Override
        public String toString() {
            // never the password
            return "KeyStoreFile[" + file + "]";
        }
    }
}
