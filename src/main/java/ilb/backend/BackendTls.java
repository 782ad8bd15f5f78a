package ilb.backend;

import java.nio.channels.ClosedChannelException;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;

import ilb.inference.BackendFailure;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;

/**
 * TLS to one backend: the client context its connections use ({@link BackendTlsContexts}), and the name its certificate
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
        // the trust manager skips the name check when verifyHostname is off (BackendTlsContexts)
        parameters.setEndpointIdentificationAlgorithm("HTTPS");
        engine.setSSLParameters(parameters);
        handler.setHandshakeTimeout(timeoutMillis, TimeUnit.MILLISECONDS);
        return handler;
    }

    /** A connection's failed handshake as the backend's connect failure, saying why. */
    BackendFailure handshakeFailed(BackendSettings backend, Throwable cause) {
        SSLException tls = sslCause(cause);
        String reason;
        if (tls instanceof NotSslRecordException) {
            // its message is a dump of what came instead
            reason = "the server does not speak TLS";
        } else if (tls != null) {
            reason = String.valueOf(tls.getMessage());
            // alerts a server sends about the client's certificate (one it lacks, or does not trust)
            if (reason.contains("alert: certificate_required") || reason.contains("alert: bad_certificate")
                    || reason.contains("alert: unknown_ca") || reason.contains("alert: certificate_unknown")) {
                reason += clientCertificate ? " (the server refused ilb's client certificate, clientCertFile)"
                        : " (the server wants a client certificate: set clientCertFile and clientKeyFile)";
            }
        } else if (cause instanceof ClosedChannelException) {
            reason = "the server closed the connection";
        } else {
            reason = String.valueOf(cause);
        }
        return new BackendFailure(BackendFailure.Kind.CONNECT, "TLS handshake with " + backend.id() + " ("
                + serverName + ":" + backend.port() + ") failed: " + reason);
    }

    /**
     * A connection's failure as the backend's connect failure if it is TLS's (a server refusing ilb's client
     * certificate says so just after the handshake); null if it is not.
     */
    BackendFailure tlsFailure(BackendSettings backend, Throwable cause) {
        return sslCause(cause) == null ? null : handshakeFailed(backend, cause);
    }

    private static SSLException sslCause(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof SSLException tls) {
                return tls;
            }
        }
        return null;
    }
}
