package ilb.backend;

import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import ilb.inference.BackendFailure;
import ilb.inference.HttpReply;
import ilb.inference.BackendStream;

/**
 * Polls a backend's health path: two failed checks in a row mark it down, one good check marks it up again.
 * A check that is still running is not started twice.
 */
final class HealthCheck {

    private static final int FAILURES_TO_DOWN = 2;

    private final Backend backend;
    private final HttpBackendClient client;
    private final AtomicBoolean running = new AtomicBoolean();
    private volatile int failures;
    private ScheduledFuture<?> task;

    HealthCheck(Backend backend, HttpBackendClient client) {
        this.backend = backend;
        this.client = client;
    }

    void start() {
        long interval = backend.settings().healthIntervalMillis();
        task = client.scheduler().scheduleWithFixedDelay(this::probe, 0, interval, TimeUnit.MILLISECONDS);
    }

    void stop() {
        if (task != null) {
            task.cancel(false);
        }
    }

    void probe() {
        if (!running.compareAndSet(false, true)) {
            return;
        }
        BackendSettings settings = backend.settings();
        long timeout = Math.min(settings.timeoutMillis(), Math.max(500, settings.healthIntervalMillis()));
        client.send(settings, "GET", settings.healthPath(), Map.of(), new byte[0], timeout, null, result -> {
            running.set(false);
            if (result instanceof HttpReply reply && reply.status() / 100 == 2) {
                failures = 0;
                backend.markUp();
            } else if (result instanceof BackendStream stream) {
                stream.cancel();
                failures = 0;
                backend.markUp();
            } else {
                String reason = result instanceof BackendFailure failure ? failure.message()
                        : "health check answered " + ((HttpReply) result).status();
                if (++failures >= FAILURES_TO_DOWN) {
                    backend.markDown(reason);
                }
            }
        });
    }
}
