package ilb.tls;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.Optional;
import java.util.function.Function;

/**
 * A server's {@code <prefix>.certFile} and {@code <prefix>.keyFile} (PEM), or {@code <prefix>.keyStore} and
 * {@code <prefix>.keyStorePassword} (PKCS#12 or JKS): its key manager, or none when none is set. A setting that
 * cannot work (one file of the pair, both forms, a file ilb cannot read, a key that is not the certificate's) is an
 * error naming the properties and the files, so that ilb does not start serving plaintext or a wrong certificate.
 */
public final class TlsSettings {

    private TlsSettings() {
    }

    /**
     * @param property a property's value, empty when unset or blank
     * @param name     what the certificate serves, for the log
     */
    public static Optional<ReloadingKeyManager> keyManager(Function<String, Optional<String>> property, String prefix,
            String name) {
        Optional<KeySource> source = source(property, prefix);
        if (source.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(new ReloadingKeyManager(source.get(), name));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(properties(source.get(), prefix) + ": " + e.getMessage(), e);
        }
    }

    /** The source the properties name, its files checked readable. */
    static Optional<KeySource> source(Function<String, Optional<String>> property, String prefix) {
        Optional<String> cert = property.apply(prefix + ".certFile");
        Optional<String> key = property.apply(prefix + ".keyFile");
        Optional<String> store = property.apply(prefix + ".keyStore");
        if (store.isPresent() && (cert.isPresent() || key.isPresent())) {
            throw new IllegalArgumentException("set either " + prefix + ".certFile and " + prefix + ".keyFile, or "
                    + prefix + ".keyStore, not both");
        }
        if (store.isPresent()) {
            Path file = readable(prefix + ".keyStore", store.get());
            String password = property.apply(prefix + ".keyStorePassword").orElseThrow(() ->
                    new IllegalArgumentException(prefix + ".keyStore is set without " + prefix + ".keyStorePassword"));
            return Optional.of(new KeySource.KeyStoreFile(file, password.toCharArray()));
        }
        if (cert.isPresent() != key.isPresent()) {
            throw new IllegalArgumentException(cert.isPresent()
                    ? prefix + ".certFile is set without " + prefix + ".keyFile"
                    : prefix + ".keyFile is set without " + prefix + ".certFile");
        }
        if (cert.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new KeySource.PemFiles(readable(prefix + ".certFile", cert.get()),
                readable(prefix + ".keyFile", key.get())));
    }

    private static Path readable(String property, String value) {
        Path file = Path.of(value.trim());
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new IllegalArgumentException(property + " names " + file.toAbsolutePath()
                    + ", which is not a file ilb can read");
        }
        return file;
    }

    private static String properties(KeySource source, String prefix) {
        return source instanceof KeySource.PemFiles ? prefix + ".certFile and " + prefix + ".keyFile ("
                + source.describe() + ")" : prefix + ".keyStore (" + source.describe() + ")";
    }
}
