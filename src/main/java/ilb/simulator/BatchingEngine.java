package ilb.simulator;

import java.util.ArrayDeque;
import java.util.List;

/**
 * Continuous batching as vLLM does it: up to {@code max-num-seqs} sequences are in the batch at once, the rest wait
 * in arrival order and join as soon as one finishes. A sequence spends its prefill time (fixed part plus the prompt
 * tokens the prefix cache does not hold) before its first token, then one inter-token latency per further token.
 * <p>
 * Single-threaded: every method runs on the {@link Scheduler}'s thread.
 */
final class BatchingEngine {

    /** What a sequence reports back to whoever serves its request. */
    interface Listener {
        /** Prefill starts after waiting {@code queuedNanos}; {@code cachedTokens} of the prompt were a cache hit. */
        void started(long queuedNanos, int cachedTokens);

        /** Token {@code index} is ready; only for sequences that stream. */
        void token(int index);

        void finished();
    }

    static final class Sequence {
        final List<Long> blocks;
        final int promptTokens;
        final int outputTokens;
        final boolean streaming;
        final Listener listener;
        long arrivedNanos;
        long firstTokenNanos;
        boolean running;
        boolean done;
        Runnable pending = () -> { };

        Sequence(List<Long> blocks, int promptTokens, int outputTokens, boolean streaming, Listener listener) {
            this.blocks = blocks;
            this.promptTokens = promptTokens;
            this.outputTokens = Math.max(1, outputTokens);
            this.streaming = streaming;
            this.listener = listener;
        }
    }

    private final Scheduler scheduler;
    private final SimulatorOptions options;
    private final PrefixCache cache;
    private final SimulatorMetrics metrics;
    private final ArrayDeque<Sequence> waiting = new ArrayDeque<>();
    private int running;
    private long kvTokens;

    BatchingEngine(Scheduler scheduler, SimulatorOptions options, SimulatorMetrics metrics) {
        this.scheduler = scheduler;
        this.options = options;
        this.cache = new PrefixCache(options.blockTokens, Math.max(1, options.kvCacheTokens / options.blockTokens));
        this.metrics = metrics;
    }

    PrefixCache cache() {
        return cache;
    }

    void submit(Sequence sequence) {
        sequence.arrivedNanos = scheduler.nanoTime();
        waiting.add(sequence);
        admit();
    }

    /** The client went away: free its place in the queue or the batch; false when it had none (any more). */
    boolean cancel(Sequence sequence) {
        if (waiting.remove(sequence)) {
            sequence.done = true;
            publishLoad();
            return true;
        }
        if (sequence.running && !sequence.done) {
            sequence.pending.run();
            finish(sequence);
            return true;
        }
        return false;
    }

    private void admit() {
        int batch = options.faults.batchLimit > 0 ? Math.min(options.maxNumSeqs, options.faults.batchLimit)
                : options.maxNumSeqs;
        while (running < batch && !waiting.isEmpty()) {
            start(waiting.poll());
        }
        publishLoad();
    }

    private void start(Sequence sequence) {
        running++;
        sequence.running = true;
        kvTokens += sequence.promptTokens + sequence.outputTokens;
        long now = scheduler.nanoTime();
        int cached = Math.min(cache.lookupAndInsert(sequence.blocks), sequence.promptTokens);
        metrics.prefill(sequence.promptTokens, cached, now - sequence.arrivedNanos);
        sequence.listener.started(now - sequence.arrivedNanos, cached);
        long prefill = nanos(options.ttftMs + options.prefillMsPerToken * (sequence.promptTokens - cached));
        if (sequence.streaming) {
            sequence.pending = scheduler.schedule(() -> emit(sequence, 0), prefill);
        } else {
            long decode = nanos(options.itlMs) * (sequence.outputTokens - 1);
            sequence.firstTokenNanos = now + prefill;
            metrics.firstToken(now - sequence.arrivedNanos + prefill);
            sequence.pending = scheduler.schedule(() -> finish(sequence), prefill + decode);
        }
    }

    private void emit(Sequence sequence, int index) {
        if (index == 0) {
            sequence.firstTokenNanos = scheduler.nanoTime();
            metrics.firstToken(sequence.firstTokenNanos - sequence.arrivedNanos);
        }
        sequence.listener.token(index);
        if (index + 1 < sequence.outputTokens) {
            sequence.pending = scheduler.schedule(() -> emit(sequence, index + 1), nanos(options.itlMs));
        } else {
            finish(sequence);
        }
    }

    private void finish(Sequence sequence) {
        sequence.done = true;
        running--;
        kvTokens -= sequence.promptTokens + sequence.outputTokens;
        long now = scheduler.nanoTime();
        metrics.finished(sequence.outputTokens, now - sequence.arrivedNanos,
                sequence.outputTokens > 1 && sequence.firstTokenNanos > 0
                        ? (now - sequence.firstTokenNanos) / (sequence.outputTokens - 1) : -1);
        sequence.listener.finished();
        admit();
    }

    private void publishLoad() {
        metrics.load(running, waiting.size(), Math.min(1.0, (double) kvTokens / options.kvCacheTokens));
    }

    private long nanos(double ms) {
        return (long) (ms * options.faults.slowFactor * 1_000_000);
    }
}
