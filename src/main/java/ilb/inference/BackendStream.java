package ilb.inference;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.EventExecutor;

/**
 * A streamed (Server-Sent Events) response from a backend, handed over once its first chunk has arrived. Chunks
 * flow from the backend connection to whoever subscribes, as they arrive; until then they are held.
 * <p>
 * Confined to the backend connection's event loop: every method may be called from any thread and hops onto it,
 * so the stream needs no locks and chunks keep their order.
 */
public final class BackendStream implements InferenceMessage {

    /** Receives the chunks; owns each {@link ByteBuf} it is given. */
    public interface Subscriber {
        void onChunk(ByteBuf chunk);

        void onEnd();

        void onError(String reason);
    }

    /** Sees each chunk as it passes, e.g. to count tokens; reads it without consuming or releasing it. */
    public interface Tap {
        void onChunk(ByteBuf chunk);
    }

    /** What the stream may ask of the backend connection behind it. */
    public interface Source {
        void pause();

        void resume();

        /** Stop generating: the client is gone. */
        void cancel();
    }

    private final int status;
    private final Map<String, String> headers;
    private final EventExecutor loop;
    private final Source source;
    private final ArrayDeque<ByteBuf> held = new ArrayDeque<>();
    private final List<Consumer<Boolean>> doneListeners = new ArrayList<>(1);
    private final List<Tap> taps = new ArrayList<>(2);
    private Subscriber subscriber;
    private String error;
    private boolean ended;
    private boolean done;
    private boolean endedNormally;

    public BackendStream(int status, Map<String, String> headers, EventExecutor loop, Source source) {
        this.status = status;
        this.headers = headers;
        this.loop = loop;
        this.source = source;
    }

    public int status() {
        return status;
    }

    public Map<String, String> headers() {
        return headers;
    }

    public Source source() {
        return source;
    }

    // ---- backend side

    public void push(ByteBuf chunk) {
        run(() -> {
            if (done) {
                chunk.release();
                return;
            }
            for (Tap tap : taps) {
                tap.onChunk(chunk);
            }
            if (subscriber != null) {
                subscriber.onChunk(chunk);
            } else {
                held.add(chunk);
            }
        });
    }

    public void end() {
        run(() -> {
            ended = true;
            if (subscriber != null && !done) {
                finish(true);
                subscriber.onEnd();
            }
        });
    }

    public void fail(String reason) {
        run(() -> {
            if (error == null && !ended) {
                error = reason;
                if (subscriber != null && !done) {
                    finish(false);
                    subscriber.onError(reason);
                }
            }
        });
    }

    /** Shows every chunk to {@code newTap}, those held already first. A stream may have several (meters, limits). */
    public void tap(Tap newTap) {
        run(() -> {
            taps.add(newTap);
            held.forEach(newTap::onChunk);
        });
    }

    // ---- client side

    public void subscribe(Subscriber newSubscriber) {
        run(() -> {
            subscriber = newSubscriber;
            while (!held.isEmpty()) {
                newSubscriber.onChunk(held.poll());
            }
            if (ended) {
                finish(true);
                newSubscriber.onEnd();
            } else if (error != null) {
                finish(false);
                newSubscriber.onError(error);
            }
        });
    }

    /** Nobody took the stream up (the route ended otherwise): stop the backend and drop what is held. */
    public void cancelIfUnsubscribed() {
        run(() -> {
            if (subscriber == null) {
                stop();
            }
        });
    }

    /** The client went away: stop the backend and drop what is held. */
    public void cancel() {
        run(this::stop);
    }

    private void stop() {
        if (!done) {
            finish(false);
            source.cancel();
        }
    }

    /**
     * Runs once when the stream is over: {@code true} when it ended normally, {@code false} on error or cancel. Before
     * the client hears of the end, and the backend of a cancel: whoever acts on the end (a client's next request)
     * finds the stream's backend place and its tenant's limits given back already.
     */
    public void whenDone(Consumer<Boolean> listener) {
        run(() -> {
            if (done) {
                listener.accept(endedNormally);
            } else {
                doneListeners.add(listener);
            }
        });
    }

    private void finish(boolean normally) {
        done = true;
        endedNormally = normally;
        held.forEach(ByteBuf::release);
        held.clear();
        doneListeners.forEach(listener -> listener.accept(normally));
        doneListeners.clear();
    }

    private void run(Runnable task) {
        if (loop.inEventLoop()) {
            task.run();
        } else {
            loop.execute(task);
        }
    }

    @Override
    public String toString() {
        return "BackendStream " + status;
    }
}
