package ilb.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import javax.net.ssl.SSLContext;

import ilb.TestCertificates;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;

/**
 * The bench's certificate authority and the one server certificate (EC P-256, for {@code localhost} and
 * {@code 127.0.0.1}) that every system serving TLS presents, so that ilb and HAProxy do the same cryptographic work;
 * made once per bench run under {@code <work>/tls}. The bench's clients trust this authority alone.
 */
final class BenchTls {

    private static BenchTls current;

    private final TestCertificates authority;
    private final TestCertificates.Issued server;
    private final Path certAndKey;
    private final SslContext nettyClient;
    private final SSLContext jdkClient;

    private BenchTls(Path dir) {
        authority = TestCertificates.authority(dir, "bench-ca");
        server = authority.server("api", "localhost", "127.0.0.1");
        // HAProxy's `crt` takes the certificate and its key in one file
        certAndKey = dir.resolve("api-with-key.pem");
        try {
            Files.writeString(certAndKey, Files.readString(server.certFile()) + Files.readString(server.keyFile()));
            nettyClient = SslContextBuilder.forClient().trustManager(authority.trustManager()).build();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        jdkClient = authority.clientContext();
    }

    /** The bench run's certificates, made under {@code <work>/tls} when first asked for. */
    static synchronized BenchTls in(BenchSettings settings) {
        if (current == null) {
            current = new BenchTls(settings.work().resolve("tls"));
        }
        return current;
    }

    /** The certificates a system serving TLS was started with: what a client of an {@code https://} url trusts. */
    static synchronized BenchTls current() {
        if (current == null) {
            throw new IllegalStateException("no system serving TLS was started (BenchTls.in)");
        }
        return current;
    }

    /** The server's certificate chain (PEM). */
    Path certFile() {
        return server.certFile();
    }

    /** The server's key (PEM, PKCS#8). */
    Path keyFile() {
        return server.keyFile();
    }

    /** The certificate followed by its key, one PEM file, as HAProxy's {@code bind ... ssl crt} wants it. */
    Path certAndKeyFile() {
        return certAndKey;
    }

    /** For the load client (Netty): trusts the bench's authority alone. */
    SslContext nettyClient() {
        return nettyClient;
    }

    /** For control requests (the JDK's HttpClient): trusts the bench's authority alone. */
    SSLContext jdkClient() {
        return jdkClient;
    }
}
