package ilb.inference;

import java.util.concurrent.Executor;

import io.netty.channel.ChannelFuture;
import io.netty.util.concurrent.DefaultPromise;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;

/**
 * Completes when a client goes away from a request served on an event loop without a channel of its own (a gRPC
 * call, one of many on its connection); says which loop, so that work resumed for the request goes on there.
 */
public final class ClientGone extends DefaultPromise<Void> {

    public ClientGone(EventExecutor loop) {
        super(loop);
    }

    /**
     * The event loop of a request's client, to resume its work on after an answer that came on another thread; the
     * calling thread for a request without one (a batch job).
     */
    public static Executor loopOf(InferenceRequest request) {
        Future<?> clientGone = request.clientGone();
        if (clientGone instanceof ChannelFuture client) {
            return client.channel().eventLoop();
        }
        return clientGone instanceof ClientGone call ? call.executor() : Runnable::run;
    }
}
