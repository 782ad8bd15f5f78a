package ilb.inference;

import java.util.Map;

import io.netty.util.concurrent.ImmediateEventExecutor;

/** Streams for tests that need no backend connection: on the calling thread, their source ignoring every ask. */
public final class TestStreams {

    private TestStreams() {
    }

    /** A 200 stream with no chunks yet. */
    public static BackendStream unconnected() {
        return new BackendStream(200, Map.of(), ImmediateEventExecutor.INSTANCE, new BackendStream.Source() {
            @Override
            public void pause() {
            }

            @Override
            public void resume() {
            }

            @Override
            public void cancel() {
            }
        });
    }
}
