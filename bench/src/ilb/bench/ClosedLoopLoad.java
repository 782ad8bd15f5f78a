package ilb.bench;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Closed-loop load for saturation throughput: a fixed number of users, each sending its next request the moment
 * its last one is answered. Throughput is what the whole machine manages with that concurrency.
 */
final class ClosedLoopLoad {

    /** Requests completed in a run: answered well, and failed. */
    record Result(long ok, long errors, double seconds) {
        double throughput() {
            return ok / seconds;
        }
    }

    private final Sender sender;

    ClosedLoopLoad(LoadClient client, ChatRequest request) {
        this((intendedNanos, done) -> client.send(request, intendedNanos, done));
    }

    /** Every user sends what {@code sender} does. */
    ClosedLoopLoad(Sender sender) {
        this.sender = sender;
    }

    Result run(int users, Duration duration) throws InterruptedException {
        AtomicLong ok = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        long start = System.nanoTime();
        long end = start + duration.toNanos();
        CountDownLatch finished = new CountDownLatch(users);
        for (int i = 0; i < users; i++) {
            new User(ok, errors, end, finished).next();
        }
        if (!finished.await(duration.toSeconds() + 60, TimeUnit.SECONDS)) {
            throw new IllegalStateException(finished.getCount() + " users never finished");
        }
        return new Result(ok.get(), errors.get(), (end - start) / 1e9);
    }

    /** One user: sends, waits for the answer, sends again until the end. */
    private final class User {
        final AtomicLong ok;
        final AtomicLong errors;
        final long end;
        final CountDownLatch finished;

        User(AtomicLong ok, AtomicLong errors, long end, CountDownLatch finished) {
            this.ok = ok;
            this.errors = errors;
            this.end = end;
            this.finished = finished;
        }

        void next() {
            sender.send(System.nanoTime(), sample -> {
                // only answers that arrive within the run count
                if (System.nanoTime() <= end) {
                    (sample.ok() ? ok : errors).incrementAndGet();
                    next();
                } else {
                    finished.countDown();
                }
            });
        }
    }
}
