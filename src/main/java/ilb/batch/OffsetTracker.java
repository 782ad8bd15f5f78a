package ilb.batch;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Which records of one poll are done, per partition, and so how far each partition may be committed: up to its
 * first record not done. Jobs finish in any order; a commit never passes one still running, so a crash loses none.
 * Used by one thread.
 *
 * @param <R> what identifies a record to the committer
 */
final class OffsetTracker<R> {

    /** A record of the poll; {@link #done} once its result or dead-letter record is on the broker. */
    static final class Entry<R> {
        final R record;
        boolean done;
        /** Done, and so is every record before it: handed out by {@link #takeCommittable}. */
        boolean committable;

        Entry(R record) {
            this.record = record;
        }
    }

    private final Map<String, ArrayDeque<Entry<R>>> byPartition = new HashMap<>();
    private final Map<String, R> committable = new HashMap<>();

    /**
     * Records must be added in their partition's offset order, as a poll returns them.
     *
     * @param partition topic and partition, e.g. {@code ilb.requests/3}
     */
    Entry<R> add(String partition, R record) {
        Entry<R> entry = new Entry<>(record);
        byPartition.computeIfAbsent(partition, p -> new ArrayDeque<>()).add(entry);
        return entry;
    }

    void done(String partition, Entry<R> entry) {
        entry.done = true;
        ArrayDeque<Entry<R>> entries = byPartition.get(partition);
        while (!entries.isEmpty() && entries.peek().done) {
            Entry<R> head = entries.poll();
            head.committable = true;
            committable.put(partition, head.record);
        }
    }

    /** Per partition that moved on since the last call, its last record before the first not done. */
    Map<String, R> takeCommittable() {
        Map<String, R> taken = Map.copyOf(committable);
        committable.clear();
        return taken;
    }

    /** Records not done yet, all partitions together. */
    int unfinished() {
        return byPartition.values().stream().mapToInt(ArrayDeque::size).sum();
    }
}
