package ilb.batch;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

class CarriedOverTest {

    private final CarriedOver carried = new CarriedOver();

    @Test
    void aJobPolledAgainGoesOnWhereItWasLeft() {
        BatchRecord thirdTry = record("job-1", "line-1").nextAttempt().nextAttempt();
        carried.remember("t/0", 7, thirdTry, false);
        carried.remember("t/0", 8, record("job-2", "line-2"), true);

        assertThat(carried.take("t/0", 7, record("job-1", "line-1")).record().attempt()).isEqualTo(3);
        assertThat(carried.take("t/0", 8, record("job-2", "line-2")).done()).isTrue();
        // taken once
        assertThat(carried.take("t/0", 7, record("job-1", "line-1"))).isNull();
    }

    @Test
    void anotherJobAtTheSameOffsetIsNotTakenForIt() {
        carried.remember("t/0", 7, record("job-1", "line-1"), true);
        // the topic was recreated: offset 7 is another job now
        assertThat(carried.take("t/0", 7, record("job-9", "line-9"))).isNull();
    }

    @Test
    void whatLiesBeforeAPollsFirstOffsetIsForgotten() {
        carried.remember("t/0", 3, record("job-1", "line-1"), true);
        carried.remember("t/0", 9, record("job-2", "line-2"), false);
        carried.pollStarts("t/0", 5);
        assertThat(carried.take("t/0", 3, record("job-1", "line-1"))).isNull();
        assertThat(carried.take("t/0", 9, record("job-2", "line-2"))).isNotNull();
    }

    @Test
    void keepsAtMostSoManyJobsAPartition() {
        for (int offset = 0; offset <= CarriedOver.MAX_PER_PARTITION; offset++) {
            carried.remember("t/0", offset, record("job", "line"), false);
        }
        assertThat(carried.take("t/0", 0, record("job", "line"))).isNull();
        assertThat(carried.take("t/0", CarriedOver.MAX_PER_PARTITION, record("job", "line"))).isNotNull();
    }

    private static BatchRecord record(String key, String line) {
        return BatchRecord.of(line.getBytes(StandardCharsets.UTF_8), key, null, null, "t", "t/0@0");
    }
}
