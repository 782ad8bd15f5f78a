package ilb.tls;

import java.security.GeneralSecurityException;

import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;

import io.grpc.netty.GrpcSslContexts;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;

/**
 * The server TLS contexts ilb builds once around a {@link ReloadingKeyManager}: each new handshake asks the key
 * manager, so a renewed certificate needs no new context. TLS 1.3 and 1.2 only. Netty's netty-tcnative BoringSSL
 * where its native library loads: its handshakes cost a fraction of the JDK's, which matters when clients open many
 * connections at once (each handshake holds an event loop that also serves requests); else the JDK's.
 */
public final class TlsContexts {

    /** The protocols served: older ones are broken or deprecated (RFC 8996). */
    public static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

    private TlsContexts() {
    }

    /** BoringSSL if its native library loaded, else the JDK's. */
    public static SslProvider provider() {
        return OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
    }

    /** For the HTTP/1.1 inference API (Netty). */
    public static SslContext http(ReloadingKeyManager keyManager) throws SSLException {
        return SslContextBuilder.forServer(keyManager).sslProvider(provider()).protocols(PROTOCOLS).build();
    }

    /** For the gRPC entry: HTTP/2 negotiated by ALPN ({@code h2}) with the ciphers gRPC requires. */
    public static SslContext grpc(ReloadingKeyManager keyManager) throws SSLException {
        return GrpcSslContexts.configure(SslContextBuilder.forServer(keyManager), provider())
                .protocols(PROTOCOLS).build();
    }

    /** A JDK context, for servers that take one (the console's Jetty). */
    public static SSLContext jdk(ReloadingKeyManager keyManager) throws GeneralSecurityException {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(new KeyManager[] {keyManager}, null, null);
        return context;
    }
}
