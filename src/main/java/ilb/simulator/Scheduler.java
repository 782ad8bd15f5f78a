package ilb.simulator;

import java.util.concurrent.TimeUnit;

import io.netty.channel.EventLoop;

/**
 * The clock and timer the simulator runs on. Production uses one Netty event loop, so the engine needs no locks;
 * tests use a virtual clock so that queueing can be checked against arithmetic instead of wall time.
 */
public interface Scheduler {

    long nanoTime();

    /** Runs the task on the scheduler's thread after the delay; the returned handle cancels it. */
    Runnable schedule(Runnable task, long delayNanos);

    /** Runs the task on the scheduler's thread as soon as possible. */
    void execute(Runnable task);

    static Scheduler of(EventLoop loop) {
        return new Scheduler() {
            @Override
            public long nanoTime() {
                return System.nanoTime();
            }

            @Override
            public Runnable schedule(Runnable task, long delayNanos) {
                var future = loop.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
                return () -> future.cancel(false);
            }

            @Override
            public void execute(Runnable task) {
                loop.execute(task);
            }
        };
    }
}
