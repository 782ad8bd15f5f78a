package ilb.tls;

import javax.net.ssl.SSLException;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import org.apache.camel.component.netty.ChannelHandlerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TLS for a camel-netty-http server, with a certificate that can be renewed while it runs: first of the route's
 * {@code encoders} ({@code encoders: "#tlsTermination,#httpEdge"}, routes/api.yaml), it puts an {@link SslHandler}
 * of a context built once ({@link TlsContexts#http}) at the head of each new connection's pipeline, before the HTTP
 * decoder, and steps aside. (camel-netty-http's own {@code ssl} options build their context from a key store once.)
 * Without a context, plaintext: it only steps aside.
 * <p>
 * A handshake must end within the timeout, so a client that opens a connection and says nothing holds it no longer;
 * a client that fails the handshake (plaintext HTTP, an untrusted certificate) is closed with a debug line, not a
 * warning per connection.
 */
public final class TlsTermination extends ChannelInboundHandlerAdapter implements ChannelHandlerFactory {

    private static final Logger LOG = LoggerFactory.getLogger(TlsTermination.class);

    private final SslContext context;
    private final long handshakeTimeoutMillis;

    /** @param context null for plaintext */
    public TlsTermination(SslContext context, long handshakeTimeoutMillis) {
        this.context = context;
        this.handshakeTimeoutMillis = handshakeTimeoutMillis;
    }

    @Override
    public ChannelHandler newChannelHandler() {
        return new Placement();
    }

    /** Puts the connection's TLS handler first and removes itself. */
    private final class Placement extends ChannelInboundHandlerAdapter {
        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            if (context != null) {
                SslHandler tls = context.newHandler(ctx.alloc());
                tls.setHandshakeTimeoutMillis(handshakeTimeoutMillis);
                ctx.pipeline().addFirst("tls", tls);
                ctx.pipeline().addAfter("tls", "tls-failures", new HandshakeFailures());
            }
            ctx.pipeline().remove(this);
        }
    }

    /** Closes a connection whose TLS failed, quietly: clients that cannot speak TLS to ilb are the clients' matter. */
    private static final class HandshakeFailures extends ChannelInboundHandlerAdapter {
        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            Throwable tls = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
            if (tls instanceof SSLException) {
                LOG.debug("Closed a connection from {} whose TLS failed: {}", ctx.channel().remoteAddress(),
                        tls.getMessage());
                ctx.close();
                return;
            }
            ctx.fireExceptionCaught(cause);
        }
    }
}
