package ilb.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongFunction;

/**
 * Open-loop Poisson load: requests arrive at exponentially distributed intervals and are sent when due, whether or
 * not earlier ones have been answered, as independent users would send them. A request sent late (the generator
 * fell behind) still counts its latency from when it was due, so a stalled system cannot make its own queueing
 * disappear (no coordinated omission).
 */
final class OpenLoopLoad {

    /** One of several loads sent at once: a tenant's requests to a system, or a share of them to one of several. */
    record Stream(LoadClient client, Workload workload, double rate, long seed, LatencyRecorder recorder) {
    }

    private final LongFunction<Sender> requests;

    OpenLoopLoad(LoadClient client, Workload workload) {
        this(index -> {
            ChatRequest request = workload.request(index);
            return (intendedNanos, done) -> client.send(request, intendedNanos, done);
        });
    }

    /** A load of the requests {@code requests} makes ready, by their index in it. */
    OpenLoopLoad(LongFunction<Sender> requests) {
        this.requests = requests;
    }

    /**
     * Sends requests at {@code rate} a second from {@code startNanos} until {@code endNanos} into the recorder, then
     * waits for the last answers. The same seed gives the same arrival times and requests, so every system sees the
     * same load.
     */
    void run(double rate, long startNanos, long endNanos, long seed, LatencyRecorder recorder)
            throws InterruptedException {
        SplittableRandom arrivals = new SplittableRandom(seed);
        double seconds = 0;
        for (long index = 0; ; index++) {
            seconds += -Math.log(1 - arrivals.nextDouble()) / rate;
            long due = startNanos + (long) (seconds * 1e9);
            if (due >= endNanos) {
                break;
            }
            Sender request = requests.apply(index);
            for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
                LockSupport.parkNanos(wait);
            }
            recorder.sent(due, System.nanoTime());
            request.send(due, recorder::completed);
        }
        recorder.awaitCompletion(Duration.ofMinutes(2));
    }

    /**
     * Sends every stream's requests over the same span, each from a thread of its own (so that none waits on
     * another's schedule), then waits for the last answers of all.
     */
    static void together(List<Stream> streams, long startNanos, long endNanos) throws InterruptedException {
        AtomicReference<Exception> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        for (Stream stream : streams) {
            Thread thread = new Thread(() -> {
                try {
                    new OpenLoopLoad(stream.client(), stream.workload()).run(stream.rate(), startNanos, endNanos,
                            stream.seed(), stream.recorder());
                } catch (InterruptedException | RuntimeException e) {
                    failure.compareAndSet(null, e);
                }
            }, "load-" + threads.size());
            threads.add(thread);
            thread.start();
        }
        for (Thread thread : threads) {
            thread.join();
        }
        if (failure.get() instanceof InterruptedException e) {
            throw e;
        }
        if (failure.get() instanceof RuntimeException e) {
            throw e;
        }
    }
}
