package ilb.backend;

import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;

import ilb.inference.BackendFailure;
import ilb.inference.BackendStream;
import ilb.inference.HttpReply;
import ilb.inference.InferenceMessage;

/** Polls a backend's health path: two failed checks in a row mark it down, one good check marks it up again. */
final class HealthCheck extends Poller {

    private static final int FAILURES_TO_DOWN = 2;

    private volatile int failures;
    private final Queue<CompletableFuture<Void>> waiting = new ConcurrentLinkedQueue<>();

    HealthCheck(Backend backend, HttpBackendClient client) {
        super(backend, client);
    }

    @Override
    String path(BackendSettings settings) {
        return settings.healthPath();
    }

    @Override
    long timeoutMillis(BackendSettings settings) {
        return Math.min(settings.timeoutMillis(), Math.max(500, settings.healthIntervalMillis()));
    }

    /** Checks now, rather than at the next interval; completes when the answer has been taken into account. */
    CompletableFuture<Void> now() {
        CompletableFuture<Void> checked = new CompletableFuture<>();
        waiting.add(checked);
        // a check already under way answers for this one too
        poll();
        return checked;
    }

    @Override
    void answered(InferenceMessage result) {
        try {
            judge(result);
        } finally {
            for (CompletableFuture<Void> checked; (checked = waiting.poll()) != null; ) {
                checked.complete(null);
            }
        }
    }

    private void judge(InferenceMessage result) {
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
    }
}
