package ilb.batch;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.junit.jupiter.api.Test;

class OffsetTrackerTest {

    @Test
    void aPartitionIsCommittableOnlyUpToItsFirstRecordNotDone() {
        OffsetTracker<String> tracker = new OffsetTracker<>();
        var first = tracker.add(0, "p0@10");
        var second = tracker.add(0, "p0@11");
        var third = tracker.add(0, "p0@12");
        var other = tracker.add(1, "p1@7");

        tracker.done(0, third);
        tracker.done(0, second);
        assertThat(tracker.takeCommittable()).isEmpty();

        tracker.done(1, other);
        assertThat(tracker.takeCommittable()).isEqualTo(Map.of(1, "p1@7"));

        tracker.done(0, first);
        assertThat(tracker.takeCommittable()).isEqualTo(Map.of(0, "p0@12"));
        assertThat(tracker.takeCommittable()).isEmpty();
        assertThat(tracker.unfinished()).isZero();
    }

    @Test
    void countsTheRecordsNotCommittableYet() {
        OffsetTracker<String> tracker = new OffsetTracker<>();
        tracker.add(0, "a");
        var b = tracker.add(0, "b");
        tracker.done(0, b);
        assertThat(tracker.unfinished()).isEqualTo(2);
    }
}
