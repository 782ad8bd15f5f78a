package ilb.backend;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import ilb.inference.InferenceMessage;

/**
 * GETs one path of a backend at a fixed interval (of a gRPC backend, makes the call the path names:
 * {@link BackendClients#poll}), on the client's event loops and without waiting on any thread; a poll whose answer
 * has not come yet is not started twice.
 */
abstract class Poller {

    protected final Backend backend;
    private final BackendClients clients;
    private final AtomicBoolean running = new AtomicBoolean();
    private ScheduledFuture<?> task;

    Poller(Backend backend, BackendClients clients) {
        this.backend = backend;
        this.clients = clients;
    }

    void start(long intervalMillis) {
        task = clients.scheduler().scheduleWithFixedDelay(this::poll, 0, intervalMillis, TimeUnit.MILLISECONDS);
    }

    void stop() {
        if (task != null) {
            task.cancel(false);
        }
        stopped();
    }

    void poll() {
        if (!running.compareAndSet(false, true)) {
            return;
        }
        starting();
        BackendSettings settings = backend.settings();
        try {
            // a poll is over within its timeout, whatever the server does
            clients.poll(settings, path(settings), TimeLimits.within(timeoutMillis(settings), System.nanoTime()),
                    result -> {
                        try {
                            answered(result);
                        } finally {
                            running.set(false);
                        }
                        if (wantsAnotherPoll()) {
                            poll();
                        }
                    });
        } catch (RuntimeException e) {
            // e.g. the client is closing with the route: poll again next time rather than never
            running.set(false);
            notSent(e.toString());
        }
    }

    /** A poll is about to be sent. */
    void starting() {
    }

    /** The poll started could not be sent. */
    void notSent(String why) {
    }

    /** Polling has stopped for good. */
    void stopped() {
    }

    /** Asked after each answer: whether to poll again at once rather than at the next interval. */
    boolean wantsAnotherPoll() {
        return false;
    }

    abstract String path(BackendSettings settings);

    abstract long timeoutMillis(BackendSettings settings);

    /** The reply, stream or failure the poll got, on a Netty thread: handle it without blocking. */
    abstract void answered(InferenceMessage result);
}
