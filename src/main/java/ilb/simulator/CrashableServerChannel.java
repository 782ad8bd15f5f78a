package ilb.simulator;

import java.util.List;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.GlobalEventExecutor;

/**
 * A listening socket that keeps the connections it accepts, so that it can die with them as a killed process does,
 * whatever protocol runs on them (HTTP, or gRPC whose server does not hand out its connections).
 */
final class CrashableServerChannel extends NioServerSocketChannel {

    private final ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);

    @Override
    protected int doReadMessages(List<Object> accepted) throws Exception {
        int before = accepted.size();
        int read = super.doReadMessages(accepted);
        for (int i = before; i < accepted.size(); i++) {
            connections.add((Channel) accepted.get(i));
        }
        return read;
    }

    /** Closes the socket and resets every connection, mid-response or not; returns once all are closed. */
    void crash() {
        close().syncUninterruptibly();
        for (Channel ch : connections) {
            // on the channel's own thread, so that it cannot close in between
            ch.eventLoop().execute(() -> {
                if (ch.isOpen()) {
                    // linger 0: the peer gets a reset, as when a process dies
                    ch.config().setOption(ChannelOption.SO_LINGER, 0);
                }
                // under the pipeline: no handler says goodbye first (HTTP/2's GOAWAY), as no dead process does
                ch.unsafe().close(ch.unsafe().voidPromise());
            });
        }
        connections.newCloseFuture().awaitUninterruptibly();
    }
}
