package ilb.bench;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

import ilb.backend.LatencyEwma;
import ilb.backend.RecentAttempts;

/**
 * What the console's last minute ({@link RecentAttempts}) adds to each attempt a backend ends, beside the latency
 * EWMA every attempt already fed before it ({@link LatencyEwma}, also a synchronized update), side by side: one
 * thread, then two threads ending attempts at one backend at once (two event loops). A micro-measurement to bound
 * the cost against ilb's CPU per request (S1, 40 µs and more), not a figure of its own:
 * {@code java -cp target/classes:target/test-classes ilb.bench.AttemptRecordCost}.
 */
public final class AttemptRecordCost {

    private static final int CALLS = 10_000_000;
    private static final int ROUNDS = 5;

    private AttemptRecordCost() {
    }

    public static void main(String[] args) throws InterruptedException {
        for (int threads : new int[] {1, 2}) {
            double ewma = Double.MAX_VALUE;
            double recent = Double.MAX_VALUE;
            // alternating, the best of each: the machine's noise falls on both
            for (int round = 0; round < ROUNDS; round++) {
                LatencyEwma latency = new LatencyEwma(TimeUnit.SECONDS.toNanos(10));
                ewma = Math.min(ewma, nanosPerCall(threads, nanos -> latency.observe(nanos % 5_000_000, nanos)));
                RecentAttempts attempts = new RecentAttempts();
                recent = Math.min(recent, nanosPerCall(threads, nanos -> attempts.served(nanos % 5_000_000, nanos)));
            }
            System.out.printf("%d thread(s): LatencyEwma.observe %.1f ns, RecentAttempts.served %.1f ns (%.2f×)%n",
                    threads, ewma, recent, recent / ewma);
        }
    }

    /** Nanoseconds per call, each of {@code threads} making {@link #CALLS} calls with System.nanoTime as now. */
    private static double nanosPerCall(int threads, LongConsumer call) throws InterruptedException {
        CountDownLatch start = new CountDownLatch(1);
        Thread[] callers = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            callers[t] = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < CALLS; i++) {
                    call.accept(System.nanoTime());
                }
            });
            callers[t].start();
        }
        long began = System.nanoTime();
        start.countDown();
        for (Thread caller : callers) {
            caller.join();
        }
        return (double) (System.nanoTime() - began) / CALLS;
    }
}
