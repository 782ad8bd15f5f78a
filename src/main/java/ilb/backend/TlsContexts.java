package ilb.backend;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertPathBuilderException;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
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
import io.grpc.netty.GrpcSslContexts;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;

/**
 * Builds the client TLS contexts of backend connections, one per distinct {@link TlsOptions} and protocol (gRPC
 * negotiates HTTP/2 by ALPN), and keeps them: connections share them, and pooled connections are kept per context.
 * Built when an endpoint starts, never on an event loop: building reads files. A context is built again when one of
 * its files has changed since (a route reload then picks up a renewed certificate).
 */
final class TlsContexts {

    private static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

    private record Key(TlsOptions options, Protocol protocol, List<Long> modified) {
    }

    private final Map<Key, SslContext> built = new ConcurrentHashMap<>();

    SslContext of(TlsOptions options, Protocol protocol) {
        Key key = new Key(options, protocol, modified(options));
        return built.computeIfAbsent(key, k -> build(options, protocol));
    }

    private static List<Long> modified(TlsOptions options) {
        List<Long> times = new ArrayList<>(3);
        for (Path file : new Path[] {options.trustFile(), options.clientCertFile(), options.clientKeyFile()}) {
            try {
                times.add(file == null ? 0L : Files.getLastModifiedTime(file).toMillis());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file, e);
            }
        }
        return times;
    }

    private static SslContext build(TlsOptions options, Protocol protocol) {
        SslContextBuilder builder = SslContextBuilder.forClient()
                .sslProvider(SslProvider.JDK)
                .protocols(PROTOCOLS)
                .trustManager(new ExplainedTrust(trustManager(options.trustFile()), options.verifyHostname()));
        if (options.hasClientCertificate()) {
            clientCertificate(builder, options);
        }
        try {
            return protocol == Protocol.GRPC ? GrpcSslContexts.configure(builder, SslProvider.JDK).build()
                    : builder.build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot use TLS options " + describe(options) + ": " + e.getMessage(), e);
        }
    }

    /** The one place ilb's client certificate is loaded (a reloading key manager would go here). */
    private static void clientCertificate(SslContextBuilder builder, TlsOptions options) {
        builder.keyManager(options.clientCertFile().toFile(), options.clientKeyFile().toFile());
    }

    /** The authorities of the PEM bundle, or with none the JVM's default trust store. */
    private static X509ExtendedTrustManager trustManager(Path trustFile) {
        try {
            KeyStore authorities = null;
            if (trustFile != null) {
                authorities = KeyStore.getInstance(KeyStore.getDefaultType());
                authorities.load(null, null);
                Collection<? extends Certificate> read;
                try (InputStream in = Files.newInputStream(trustFile)) {
                    read = CertificateFactory.getInstance("X.509").generateCertificates(in);
                }
                if (read.isEmpty()) {
                    throw new IllegalArgumentException("trustFile " + trustFile + " holds no PEM certificate");
                }
                int i = 0;
                for (Certificate authority : read) {
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
