package ilb.backend;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

import ilb.inference.Protocol;
import ilb.tls.CertificateReloads;
import ilb.tls.KeySource;
import ilb.tls.Pem;
import ilb.tls.ReloadingKeyManager;
import ilb.tls.TlsContexts;
import io.grpc.netty.GrpcSslContexts;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;

/**
 * Builds the client TLS contexts of backend connections, one per distinct {@link TlsOptions} and protocol (gRPC
 * negotiates HTTP/2 by ALPN), and keeps them: connections share them, and pooled connections are kept per context.
 * Built when an endpoint starts, never on an event loop: building reads files. ilb's client certificate is renewed in
 * place ({@link ReloadingKeyManager}); a trust file that changed is read by the next route reload.
 */
final class BackendTlsContexts {

    private record Key(TlsOptions options, Protocol protocol, long trustFileModified) {
    }

    private final Map<Key, SslContext> built = new ConcurrentHashMap<>();
    /** ilb's client certificates, one key manager per pair of files, shared by every context that presents it. */
    private final Map<KeySource.PemFiles, ReloadingKeyManager> clientCertificates = new ConcurrentHashMap<>();
    private volatile CertificateReloads reloads;

    /** Checks the client certificates' files for renewal from now on; unset, they are read once. */
    void reloadWith(CertificateReloads certificateReloads) {
        this.reloads = certificateReloads;
    }

    SslContext of(TlsOptions options, Protocol protocol) {
        Key key = new Key(options, protocol, modified(options.trustFile()));
        return built.computeIfAbsent(key, k -> build(options, protocol));
    }

    /** When the trust file last changed: a route reload after that builds a new context that trusts the new one. */
    private static long modified(Path trustFile) {
        try {
            return trustFile == null ? 0L : Files.getLastModifiedTime(trustFile).toMillis();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + trustFile, e);
        }
    }

    private SslContext build(TlsOptions options, Protocol protocol) {
        SslContextBuilder builder = SslContextBuilder.forClient()
                .sslProvider(SslProvider.JDK)
                .protocols(TlsContexts.PROTOCOLS)
                .trustManager(new ExplainedTrust(trustManager(options.trustFile()), options.verifyHostname()));
        if (options.hasClientCertificate()) {
            builder.keyManager(clientCertificate(options));
        }
        try {
            return protocol == Protocol.GRPC ? GrpcSslContexts.configure(builder, SslProvider.JDK).build()
                    : builder.build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot use TLS options " + describe(options) + ": " + e.getMessage(), e);
        }
    }

    /**
     * The key manager of ilb's client certificate in these files: read now, and, once checked for renewal, presenting
     * the renewed certificate from the next handshake on (as the API's own certificate does).
     */
    private ReloadingKeyManager clientCertificate(TlsOptions options) {
        KeySource.PemFiles files = new KeySource.PemFiles(options.clientCertFile(), options.clientKeyFile());
        ReloadingKeyManager known = clientCertificates.get(files);
        if (known != null) {
            return known;
        }
        try {
            ReloadingKeyManager made = new ReloadingKeyManager(files, "backends (client certificate)");
            known = clientCertificates.putIfAbsent(files, made);
            if (known != null) {
                return known;
            }
            CertificateReloads checks = reloads;
            if (checks != null) {
                checks.add(made);
            }
            return made;
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot use clientCertFile " + options.clientCertFile()
                    + " and clientKeyFile " + options.clientKeyFile() + ": " + e.getMessage(), e);
        }
    }

    /** The authorities of the PEM bundle, or with none the JVM's default trust store. */
    private static X509ExtendedTrustManager trustManager(Path trustFile) {
        try {
            KeyStore authorities = null;
            if (trustFile != null) {
                authorities = KeyStore.getInstance(KeyStore.getDefaultType());
                authorities.load(null, null);
                int i = 0;
                for (X509Certificate authority : Pem.certificates(Files.readString(trustFile))) {
                    authorities.setCertificateEntry("authority-" + i++, authority);
                }
            }
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(authorities);
            for (TrustManager manager : factory.getTrustManagers()) {
                if (manager instanceof X509ExtendedTrustManager x509) {
                    return x509;
                }
            }
            throw new IllegalStateException("the JVM has no X.509 trust manager");
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot read trustFile " + trustFile + ": " + e.getMessage(), e);
        }
    }

    private static String describe(TlsOptions options) {
        return "(trustFile " + (options.trustFile() == null ? "the JVM's default" : options.trustFile())
                + ", clientCertFile " + options.clientCertFile() + ")";
    }

    /**
     * Checks a server's certificate as the JVM does, and says in a user's words why one is refused: expired, of an
     * authority not trusted, or not naming the host. With {@code verifyHostname} off, it checks the chain only.
     */
    private static final class ExplainedTrust extends X509ExtendedTrustManager {
        private final X509ExtendedTrustManager trust;
        private final boolean verifyHostname;

        ExplainedTrust(X509ExtendedTrustManager trust, boolean verifyHostname) {
            this.trust = trust;
            this.verifyHostname = verifyHostname;
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            try {
                if (verifyHostname) {
                    trust.checkServerTrusted(chain, authType, engine);
                } else {
                    trust.checkServerTrusted(chain, authType);
                }
            } catch (CertificateException e) {
                throw new CertificateException(explain(chain, authType, engine, e), e);
            }
        }

        private String explain(X509Certificate[] chain, String authType, SSLEngine engine, CertificateException e) {
            X509Certificate leaf = chain[0];
            try {
                leaf.checkValidity();
            } catch (CertificateExpiredException expired) {
                return "certificate has expired (valid until " + leaf.getNotAfter().toInstant() + ")";
            } catch (CertificateNotYetValidException early) {
                return "certificate is not valid yet (valid from " + leaf.getNotBefore().toInstant() + ")";
            }
            if (causedBy(e, CertPathBuilderException.class)) {
                return "no certificate of a trusted authority (PKIX path building failed): it is issued by "
                        + leaf.getIssuerX500Principal().getName();
            }
            if (verifyHostname) {
                try {
                    // the chain alone passes: the name is what failed
                    trust.checkServerTrusted(chain, authType);
                    return "hostname " + engine.getPeerHost() + " does not match the certificate's names "
                            + names(leaf);
                } catch (CertificateException chainFails) {
                    // not the name
                }
            }
            return "certificate refused: " + e.getMessage();
        }

        private static boolean causedBy(Throwable e, Class<? extends Throwable> kind) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (kind.isInstance(t)) {
                    return true;
                }
            }
            return false;
        }

        /** Its DNS and IP subject alternative names, else its subject. */
        private static List<String> names(X509Certificate certificate) {
            List<String> names = new ArrayList<>();
            try {
                Collection<List<?>> alternatives = certificate.getSubjectAlternativeNames();
                if (alternatives != null) {
                    for (List<?> name : alternatives) {
                        // 2: dNSName, 7: iPAddress
                        if (name.get(0) instanceof Integer type && (type == 2 || type == 7)) {
                            names.add(String.valueOf(name.get(1)));
                        }
                    }
                }
            } catch (CertificateParsingException e) {
                // the subject says
            }
            return names.isEmpty() ? List.of(certificate.getSubjectX500Principal().getName()) : names;
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            // ilb's connections are Netty's, on SSLEngines: never called, but checked as strictly
            if (verifyHostname) {
                trust.checkServerTrusted(chain, authType, socket);
            } else {
                trust.checkServerTrusted(chain, authType);
            }
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            trust.checkServerTrusted(chain, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("ilb's backend connections are clients only");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            checkClientTrusted(chain, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            checkClientTrusted(chain, authType);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return trust.getAcceptedIssuers();
        }
    }
}
