package ilb.backend;

import java.util.ArrayList;
import java.util.List;
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
    /** Operators' checks that no poll has been sent for yet. */
    private final Queue<CompletableFuture<String>> waiting = new ConcurrentLinkedQueue<>();
    /** Those the poll under way answers: sent after they asked. */
    private volatile List<CompletableFuture<String>> answering = List.of();

    HealthCheck(Backend backend, BackendClients clients) {
        super(backend, clients);
    }

    @Override
    String path(BackendSettings settings) {
        return settings.healthPath();
    }

    @Override
    long timeoutMillis(BackendSettings settings) {
        return Math.min(settings.timeoutMillis(), Math.max(500, settings.healthIntervalMillis()));
    }

    /**
     * Checks now, rather than at the next interval; completes with what a poll sent after this call found, once it
     * has been taken into account (a poll already under way may predate what the operator knows).
     */
    CompletableFuture<String> now() {
        CompletableFuture<String> checked = new CompletableFuture<>();
        waiting.add(checked);
        // if a poll is under way, this one is sent when it is answered
        poll();
        return checked;
    }

    @Override
    void starting() {
        List<CompletableFuture<String>> asked = new ArrayList<>();
        for (CompletableFuture<String> checked; (checked = waiting.poll()) != null; ) {
            asked.add(checked);
        }
        answering = asked;
    }

    @Override
    boolean wantsAnotherPoll() {
        return !waiting.isEmpty();
    }

    @Override
    void notSent(String why) {
        tell("not checked: " + why);
    }

    @Override
    void stopped() {
        waiting.forEach(checked -> checked.complete("not checked: the backend's route stopped"));
        waiting.clear();
    }

    @Override
    void answered(InferenceMessage result) {
        String found = "check failed";
        try {
            found = judge(result);
        } finally {
            tell(found);
        }
    }

    private void tell(String found) {
        answering.forEach(checked -> checked.complete(found));
        answering = List.of();
    }

    /** Takes the answer into account; says what it found. */
    private String judge(InferenceMessage result) {
        if (result instanceof HttpReply reply && reply.status() / 100 == 2) {
            failures = 0;
            backend.markUp();
            return "healthy: " + settingsPath() + " answered " + reply.status();
        } else if (result instanceof BackendStream stream) {
            stream.cancel();
            failures = 0;
            backend.markUp();
            return "healthy: " + settingsPath() + " answered " + stream.status();
        }
        String reason = result instanceof BackendFailure failure ? failure.message()
                : "health check answered " + ((HttpReply) result).status();
        if (++failures >= FAILURES_TO_DOWN) {
            backend.markDown(reason);
        }
        return "unhealthy: " + reason + " (" + Math.min(failures, FAILURES_TO_DOWN) + " of " + FAILURES_TO_DOWN
                + " failed checks in a row that take it out)";
    }

    private String settingsPath() {
        return backend.settings().healthPath();
    }
}
