package ilb.inference;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;

/** ilb's I/O threads as a request's path uses them: it stays on the one it is on, from client to backend and back. */
public final class EventLoops {

    private EventLoops() {
    }

    /** The event loop of {@code group} this thread is; the group's next for any other thread. */
    public static EventLoop current(EventLoopGroup group) {
        for (EventExecutor loop : group) {
            if (loop.inEventLoop()) {
                return (EventLoop) loop;
            }
        }
        return group.next();
    }
}
