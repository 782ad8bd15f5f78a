package ilb.backend;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Function;

/**
 * TLS to a backend as its route entry (or the TLS profile it names) writes it.
 *
 * @param trustFile      PEM bundle of the authorities the server's certificate must come from; null: the JVM's
 *                       default trust store (the system's authorities)
 * @param clientCertFile ilb's client certificate chain (PEM), for servers that want one (mTLS); null for none
 * @param clientKeyFile  its private key (PEM, PKCS#8); set exactly when {@code clientCertFile} is
 * @param verifyHostname whether the server's certificate must name the host ilb asked for
 */
public record TlsOptions(Path trustFile, Path clientCertFile, Path clientKeyFile, boolean verifyHostname) {

    /** Where a profile's options are: {@code ilb.backend.tls.<profile>.trustFile} and so on. */
    static final String PROFILE_PREFIX = "ilb.backend.tls.";

    public TlsOptions {
        if ((clientCertFile == null) != (clientKeyFile == null)) {
            throw new IllegalArgumentException("clientCertFile and clientKeyFile go together: set both or neither");
        }
    }

    /**
     * The options a backend entry writes, each one it does not write taken from its TLS profile, if it names one
     * ({@code property} looks up {@code ilb.backend.tls.<profile>.<option>}), else the default.
     *
     * @throws IllegalArgumentException if the profile has no option at all, or a file cannot be read
     */
    static TlsOptions resolve(String backendId, String profile, Function<String, Optional<String>> property,
            String trustFile, String clientCertFile, String clientKeyFile, Boolean verifyHostname) {
        Function<String, Optional<String>> fromProfile = option -> profile == null ? Optional.empty()
                : property.apply(PROFILE_PREFIX + profile + "." + option);
        if (profile != null && fromProfile.apply("trustFile").isEmpty() && fromProfile.apply("clientCertFile").isEmpty()
                && fromProfile.apply("verifyHostname").isEmpty()) {
            throw new IllegalArgumentException("backend " + backendId + ": TLS profile '" + profile + "' has no options:"
                    + " set " + PROFILE_PREFIX + profile + ".trustFile (or clientCertFile, clientKeyFile,"
                    + " verifyHostname)");
        }
        try {
            return new TlsOptions(
                    readable(backendId, "trustFile", written(trustFile, fromProfile.apply("trustFile"))),
                    readable(backendId, "clientCertFile", written(clientCertFile, fromProfile.apply("clientCertFile"))),
                    readable(backendId, "clientKeyFile", written(clientKeyFile, fromProfile.apply("clientKeyFile"))),
                    verifyHostname != null ? verifyHostname
                            : fromProfile.apply("verifyHostname").map(Boolean::parseBoolean).orElse(true));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage().startsWith("backend ") ? e.getMessage()
                    : "backend " + backendId + ": " + e.getMessage(), e);
        }
    }

    private static String written(String onEntry, Optional<String> inProfile) {
        return onEntry != null && !onEntry.isBlank() ? onEntry : inProfile.filter(v -> !v.isBlank()).orElse(null);
    }

    private static Path readable(String backendId, String option, String file) {
        if (file == null) {
            return null;
        }
        Path path = Path.of(file);
        if (!Files.isReadable(path)) {
            throw new IllegalArgumentException("backend " + backendId + ": " + option + " " + path.toAbsolutePath()
                    + " cannot be read");
        }
        return path;
    }

    public boolean hasClientCertificate() {
        return clientCertFile != null;
    }
}
