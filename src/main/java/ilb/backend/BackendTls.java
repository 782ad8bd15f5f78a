package ilb.backend;

import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;

import ilb.inference.BackendFailure;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;

/**
 * TLS to one backend: the client context its connections use ({@link TlsContexts}), and the name its certificate
 * must carry, which ilb also sends as SNI: the url's host, or for a server found by DNS the name looked up, never its
 * address, so that a certificate for the service's name verifies.
 *
 * @param clientCertificate whether ilb has a client certificate to show (to word a refusal)
 */
public record BackendTls(SslContext context, String serverName, boolean clientCertificate) {

    /** A handler that opens TLS on a new connection to the server at {@code port}, within {@code timeoutMillis}. */
    SslHandler newHandler(ByteBufAllocator alloc, int port, long timeoutMillis) {
        SslHandler handler = context.newHandler(alloc, serverName, port);
        SSLEngine engine = handler.engine();
        SSLParameters parameters = engine.getSSLParameters();
        // the trust manager skips the name check when verifyHostname is off (TlsContexts)
        parameters.setEndpointIdentificationAlgorithm("HTTPS");
        engine.setSSLParameters(parameters);
        handler.setHandshakeTimeout(timeoutMillis, TimeUnit.MILLISECONDS);
        return handler;
    }

    /**
     * A connection's TLS failure (a failed handshake, or the server refusing ilb's client certificate just after
     * it) as the backend's connect failure, saying why; null if {@code cause} is no TLS failure.
     */
    BackendFailure failure(BackendSettings backend, Throwable cause) {
        SSLException tls = null;
        for (Throwable t = cause; t != null && tls == null; t = t.getCause()) {
            if (t instanceof SSLException found) {
                tls = found;
            }
        }
        if (tls == null) {
            return null;
        }
        String reason = String.valueOf(tls.getMessage());
        if (!clientCertificate && (reason.contains("certificate_required") || reason.contains("bad_certificate"))) {
            reason += " (the server wants a client certificate: set clientCertFile and clientKeyFile)";
        }
        return new BackendFailure(BackendFailure.Kind.CONNECT, "TLS handshake with " + backend.id() + " ("
                + serverName + ":" + backend.port() + ") failed: " + reason);
    }
}
