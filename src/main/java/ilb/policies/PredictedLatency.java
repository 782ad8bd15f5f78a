package ilb.policies;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import ilb.backend.Backend;
import ilb.backend.ServiceProfile.PredictionError;
import ilb.balancer.InferenceLoadBalancer;
import ilb.balancer.PoolOptions;
import ilb.balancer.SelectionPolicy;
import ilb.inference.InferenceMessage;
import ilb.inference.InferenceRequest;
import ilb.policies.LatencyPredictor.Prediction;

/**
 * Sends each request where it would finish first: the time it would take at each candidate, predicted from what
 * ilb measured there ({@link LatencyPredictor}): the wait for a place, the prefill of what the prefix cache lacks,
 * and its output tokens at the candidate's pace. Nothing to tune: the measurements come from the answers
 * ({@link ProfileFeed}), and a backend not measured yet (or not lately) is predicted as fast as the best while it is
 * idle, so that it gets tried.
 * <p>
 * With latency targets ({@code sloTtft}, {@code sloTpot}, the pool's, which the balancer enforces too), it picks the
 * candidate most likely to meet them, given how far each one's predictions were off lately (a log-normal error),
 * and the earliest finish among equally likely ones. Ties go to the less loaded, then to chance.
 */
public final class PredictedLatency implements SelectionPolicy {

    /** Attempts sent and not answered yet that are remembered: one never answered is forgotten in time. */
    private static final int PENDING = 4096;
    /** The spread of prediction errors assumed before a backend has enough of them (a factor of about 1.6). */
    private static final double UNKNOWN_SPREAD = 0.5;
    /** Predictions are never trusted more than this (a factor of about 1.1). */
    private static final double MIN_SPREAD = 0.1;

    private final long sloTtftNanos;
    private final long sloTpotNanos;
    private final LongSupplier clock;
    private final PrefixIndex index = new PrefixIndex(PrefixAffinity.INDEX_BLOCKS);
    /** What was predicted for each attempt in flight, to measure the backend against when it answers. */
    private final Map<Attempt, Prediction> pending = new LinkedHashMap<>(64, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Attempt, Prediction> eldest) {
            return size() > PENDING;
        }
    };

    public PredictedLatency(PoolOptions options) {
        this(options.millis(InferenceLoadBalancer.SLO_TTFT), options.millis(InferenceLoadBalancer.SLO_TPOT),
                System::nanoTime);
    }

    /** With its targets in milliseconds (0: none) and a clock, for tests. */
    PredictedLatency(long sloTtftMillis, long sloTpotMillis, LongSupplier clock) {
        this.sloTtftNanos = TimeUnit.MILLISECONDS.toNanos(sloTtftMillis);
        this.sloTpotNanos = TimeUnit.MILLISECONDS.toNanos(sloTpotMillis);
        this.clock = clock;
    }

    /** One request's attempt at one backend: the same request object, the same backend (never tried twice). */
    private record Attempt(InferenceRequest request, Backend backend) {
        @Override
        public boolean equals(Object other) {
            return other instanceof Attempt attempt && attempt.request == request && attempt.backend == backend;
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(request) * 31 + System.identityHashCode(backend);
        }
    }

    @Override
    public Backend choose(List<Backend> candidates, InferenceRequest request) {
        long now = clock.getAsLong();
        Prediction[] predictions = LatencyPredictor.predict(candidates, request,
                index.matches(request.prefix(), candidates), 1, now);
        boolean targets = sloTtftNanos > 0 || sloTpotNanos > 0;
        double[] onTarget = new double[predictions.length];
        for (int i = 0; i < predictions.length && targets; i++) {
            onTarget[i] = onTarget(candidates.get(i), predictions[i], now);
        }
        // the more likely on target, the earlier done
        return Best.of(candidates, (i, best) -> {
            int order = Double.compare(onTarget[best], onTarget[i]);
            return order != 0 ? order : Double.compare(predictions[i].finishNanos(), predictions[best].finishNanos());
        });
    }

    @Override
    public void sent(InferenceRequest request, Backend backend) {
        List<Backend> one = List.of(backend);
        // predicted again with its place taken, and before its prompt is recorded as cached there
        Prediction expected = LatencyPredictor.predict(one, request, index.matches(request.prefix(), one), 0,
                clock.getAsLong())[0];
        index.record(request.prefix(), backend);
        synchronized (pending) {
            pending.put(new Attempt(request, backend), expected);
        }
    }

    @Override
    public void answered(InferenceRequest request, Backend backend, long sentNanos, InferenceMessage response) {
        Prediction expected;
        synchronized (pending) {
            expected = pending.remove(new Attempt(request, backend));
        }
        if (expected != null) {
            ProfileFeed.answered(backend.profile(), expected, sentNanos, response, clock);
        }
    }

    /** The chance that the request meets the targets at the backend, 0 to 1. */
    private double onTarget(Backend backend, Prediction prediction, long nowNanos) {
        return chance(prediction.ttftNanos(), sloTtftNanos, backend.profile().ttftError(nowNanos))
                * chance(prediction.tpotNanos(), sloTpotNanos, backend.profile().tpotError(nowNanos));
    }

    /**
     * The chance that what was predicted as {@code predictedNanos} comes within {@code targetNanos} (0: no target),
     * when observed over predicted is log-normal as {@code error} says.
     */
    static double chance(double predictedNanos, long targetNanos, PredictionError error) {
        if (targetNanos <= 0 || predictedNanos <= 0) {
            return 1;
        }
        double bias = error.known() ? error.bias() : 0;
        double spread = error.known() ? Math.max(MIN_SPREAD, error.spread()) : UNKNOWN_SPREAD;
        return normal((Math.log(targetNanos / predictedNanos) - bias) / spread);
    }

    /** The standard normal distribution function (Abramowitz and Stegun 7.1.26, within 1e-7). */
    private static double normal(double z) {
        double x = Math.abs(z) / Math.sqrt(2);
        double t = 1 / (1 + 0.3275911 * x);
        double erf = 1 - t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027
                + t * 1.061405429)))) * Math.exp(-x * x);
        return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
    }
}
