package ilb.simulator;

import java.util.PriorityQueue;

/** A scheduler on virtual time: tasks run, in order, only when the test advances the clock. */
final class VirtualScheduler implements Scheduler {

    private record Task(long at, long seq, Runnable task) {
    }

    private final PriorityQueue<Task> tasks = new PriorityQueue<>((a, b) -> a.at() != b.at()
            ? Long.compare(a.at(), b.at()) : Long.compare(a.seq(), b.seq()));
    private long now;
    private long seq;

    @Override
    public long nanoTime() {
        return now;
    }

    @Override
    public Runnable schedule(Runnable task, long delayNanos) {
        Task scheduled = new Task(now + delayNanos, seq++, task);
        tasks.add(scheduled);
        return () -> tasks.remove(scheduled);
    }

    @Override
    public void execute(Runnable task) {
        schedule(task, 0);
    }

    /** Runs everything due up to {@code millis} on the virtual clock, then sets the clock there. */
    void advanceTo(double millis) {
        long until = (long) (millis * 1_000_000);
        while (!tasks.isEmpty() && tasks.peek().at() <= until) {
            Task next = tasks.poll();
            now = next.at();
            next.task().run();
        }
        now = until;
    }
}
