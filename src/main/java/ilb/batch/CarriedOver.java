package ilb.batch;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What the batch consumer knew of jobs it polled but did not commit (a poll cut short, a route suspended), for when
 * it polls them again: each job's tries so far, or that its outcome is on the broker already. Kept per partition for
 * the offsets from its last poll on (what lies before was committed, here or by another replica), at most
 * {@value #MAX_PER_PARTITION} of them; a record is known by its line and key too, so that a reused offset never
 * passes for another job. Forgetting only means a job is done again. Thread-safe.
 */
final class CarriedOver {

    static final int MAX_PER_PARTITION = 1000;

    /** A job as it was left: its record (attempts, admission), and whether its outcome is on the broker. */
    record Carried(BatchRecord record, boolean done) {
    }

    private final Map<String, NavigableMap<Long, Carried>> byPartition = new HashMap<>();

    synchronized void remember(String partition, long offset, BatchRecord record, boolean done) {
        NavigableMap<Long, Carried> jobs = byPartition.computeIfAbsent(partition, p -> new TreeMap<>());
        jobs.put(offset, new Carried(record, done));
        while (jobs.size() > MAX_PER_PARTITION) {
            jobs.pollFirstEntry();
        }
    }

    /** A poll starts the partition at {@code firstOffset}: what lies before it is committed, and forgotten. */
    synchronized void pollStarts(String partition, long firstOffset) {
        NavigableMap<Long, Carried> jobs = byPartition.get(partition);
        if (jobs != null) {
            jobs.headMap(firstOffset, false).clear();
        }
    }

    /** What was left of the job at that offset, if it is the same job; forgotten once taken. */
    synchronized Carried take(String partition, long offset, BatchRecord polled) {
        NavigableMap<Long, Carried> jobs = byPartition.get(partition);
        Carried carried = jobs == null ? null : jobs.remove(offset);
        if (carried == null || !Arrays.equals(carried.record().line(), polled.line())
                || !Objects.equals(carried.record().key(), polled.key())) {
            return null;
        }
        return carried;
    }
}
