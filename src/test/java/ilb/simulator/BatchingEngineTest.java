package ilb.simulator;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class BatchingEngineTest {

    private final VirtualScheduler clock = new VirtualScheduler();

    /** What one sequence went through, in virtual milliseconds. */
    private static final class Record implements BatchingEngine.Listener {
        final List<Double> tokens = new ArrayList<>();
        final VirtualScheduler clock;
        double queuedMs = -1;
        double finishedAt = -1;
        int cachedTokens;

        Record(VirtualScheduler clock) {
            this.clock = clock;
        }

        @Override
        public void started(long queuedNanos, int cachedTokens) {
            this.queuedMs = queuedNanos / 1e6;
            this.cachedTokens = cachedTokens;
        }

        @Override
        public void token(int index) {
            tokens.add(clock.nanoTime() / 1e6);
        }

        @Override
        public void finished() {
            finishedAt = clock.nanoTime() / 1e6;
        }
    }

    private BatchingEngine engine(SimulatorOptions options) {
        return new BatchingEngine(clock, options, new SimulatorMetrics("m"));
    }

    private Record submitAt(BatchingEngine engine, double atMs, int promptTokens, int outputTokens, boolean stream) {
        Record record = new Record(clock);
        clock.advanceTo(atMs);
        engine.submit(sequence(engine, promptTokens, outputTokens, stream, record));
        return record;
    }

    private static BatchingEngine.Sequence sequence(BatchingEngine engine, int promptTokens, int outputTokens,
            boolean stream, Record record) {
        List<String> prompt = new ArrayList<>();
        for (int i = 0; i < promptTokens; i++) {
            prompt.add("w" + i);
        }
        return new BatchingEngine.Sequence(engine.cache().blockHashes(prompt), promptTokens, outputTokens, stream,
                record);
    }

    @Test
    void aBatchLimitRunsFewerSequencesAtOnceFromTheNextAdmittedOn() {
        SimulatorOptions options = new SimulatorOptions().maxNumSeqs(2).ttftMs(100).prefillMsPerToken(0).itlMs(0);
        BatchingEngine engine = engine(options);
        options.faults().batchLimit(1);
        Record a = submitAt(engine, 0, 1, 1, false);
        Record b = submitAt(engine, 0, 1, 1, false);
        // lifted while b waits: the next admission (a's finish) may run both again
        options.faults().batchLimit(0);
        Record c = submitAt(engine, 150, 1, 1, false);
        Record d = submitAt(engine, 150, 1, 1, false);
        clock.advanceTo(1000);

        assertThat(List.of(a.queuedMs, b.queuedMs, c.queuedMs, d.queuedMs)).containsExactly(0.0, 100.0, 0.0, 50.0);
    }

    @Test
    void oneSlotQueuesArrivalsFirstComeFirstServed() {
        // one slot, 100 ms of service each (prefill only, one token): waiting time = previous finish - arrival
        BatchingEngine engine = engine(new SimulatorOptions().maxNumSeqs(1).ttftMs(100).prefillMsPerToken(0)
                .itlMs(0));
        Record a = submitAt(engine, 0, 1, 1, false);
        Record b = submitAt(engine, 10, 1, 1, false);
        Record c = submitAt(engine, 20, 1, 1, false);
        Record d = submitAt(engine, 250, 1, 1, false);
        Record e = submitAt(engine, 500, 1, 1, false);
        clock.advanceTo(1000);

        assertThat(List.of(a.queuedMs, b.queuedMs, c.queuedMs, d.queuedMs, e.queuedMs))
                .containsExactly(0.0, 90.0, 180.0, 50.0, 0.0);
        assertThat(List.of(a.finishedAt, b.finishedAt, c.finishedAt, d.finishedAt, e.finishedAt))
                .containsExactly(100.0, 200.0, 300.0, 400.0, 600.0);
    }

    @Test
    void twoSlotsServeTwoAtOnce() {
        BatchingEngine engine = engine(new SimulatorOptions().maxNumSeqs(2).ttftMs(100).prefillMsPerToken(0)
                .itlMs(0));
        Record a = submitAt(engine, 0, 1, 1, false);
        Record b = submitAt(engine, 0, 1, 1, false);
        Record c = submitAt(engine, 0, 1, 1, false);
        clock.advanceTo(1000);

        assertThat(List.of(a.queuedMs, b.queuedMs, c.queuedMs)).containsExactly(0.0, 0.0, 100.0);
        assertThat(c.finishedAt).isEqualTo(200.0);
    }

    @Test
    void streamedTokensComeOneInterTokenLatencyApart() {
        BatchingEngine engine = engine(new SimulatorOptions().maxNumSeqs(4).ttftMs(40).prefillMsPerToken(0)
                .itlMs(10));
        Record a = submitAt(engine, 0, 1, 4, true);
        clock.advanceTo(1000);

        assertThat(a.tokens).containsExactly(40.0, 50.0, 60.0, 70.0);
        assertThat(a.finishedAt).isEqualTo(70.0);
    }

    @Test
    void prefixCacheMakesPrefillOfASharedPromptCheaper() {
        // 64 prompt tokens = 4 blocks of 16; prefill costs 1 ms per token not in the cache
        BatchingEngine engine = engine(new SimulatorOptions().maxNumSeqs(4).ttftMs(0).prefillMsPerToken(1)
                .itlMs(0));
        Record first = submitAt(engine, 0, 64, 1, false);
        clock.advanceTo(100);
        Record second = submitAt(engine, 100, 64, 1, false);
        clock.advanceTo(1000);

        assertThat(first.cachedTokens).isZero();
        assertThat(first.finishedAt).isEqualTo(64.0);
        assertThat(second.cachedTokens).isEqualTo(64);
        assertThat(second.finishedAt).isEqualTo(100.0);
    }

    @Test
    void cancellingARunningSequenceFreesItsSlot() {
        BatchingEngine engine = engine(new SimulatorOptions().maxNumSeqs(1).ttftMs(100).prefillMsPerToken(0)
                .itlMs(0));
        Record a = new Record(clock);
        BatchingEngine.Sequence running = sequence(engine, 1, 1, false, a);
        engine.submit(running);
        Record b = submitAt(engine, 0, 1, 1, false);
        clock.advanceTo(30);
        engine.cancel(running);
        clock.advanceTo(1000);

        assertThat(b.queuedMs).isEqualTo(30.0);
        assertThat(b.finishedAt).isEqualTo(130.0);
    }
}
