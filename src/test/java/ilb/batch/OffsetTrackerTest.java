package ilb.batch;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.junit.jupiter.api.Test;

class OffsetTrackerTest {

    @Test
    void aPartitionIsCommittableOnlyUpToItsFirstRecordNotDone() {
        OffsetTracker<String> tracker = new OffsetTracker<>();
        var first = tracker.add("t/0", "p0@10");
        var second = tracker.add("t/0", "p0@11");
        var third = tracker.add("t/0", "p0@12");
        var other = tracker.add("t/1", "p1@7");

        tracker.done("t/0", third);
        tracker.done("t/0", second);
        assertThat(tracker.takeCommittable()).isEmpty();

        tracker.done("t/1", other);
        assertThat(tracker.takeCommittable()).isEqualTo(Map.of("t/1", "p1@7"));

        tracker.done("t/0", first);
        assertThat(tracker.takeCommittable()).isEqualTo(Map.of("t/0", "p0@12"));
        assertThat(tracker.takeCommittable()).isEmpty();
        assertThat(tracker.unfinished()).isZero();
    }

    @Test
    void partitionsOfTwoTopicsAreTrackedApart() {
        OffsetTracker<String> tracker = new OffsetTracker<>();
        var a = tracker.add("a/0", "a/0@5");
        tracker.add("b/0", "b/0@9");
        tracker.done("a/0", a);
        assertThat(tracker.takeCommittable()).isEqualTo(Map.of("a/0", "a/0@5"));
    }

    @Test
    void countsTheRecordsNotCommittableYet() {
        OffsetTracker<String> tracker = new OffsetTracker<>();
        tracker.add("t/0", "a");
        var b = tracker.add("t/0", "b");
        tracker.done("t/0", b);
        assertThat(tracker.unfinished()).isEqualTo(2);
    }
}
