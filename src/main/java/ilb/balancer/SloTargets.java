package ilb.balancer;

import ilb.backend.BackendTelemetry;

/**
 * A model's latency targets ({@code sloTtft}, {@code sloTpot} in its pool's options; 0 or absent: none). With
 * targets, the balancer moves a request to the next tier when the best choice of a tier is forecast
 * ({@link LatencyForecast}) to break them, and waits a little for a full backend that would meet them rather than
 * take one that would not. A backend without a forecast is taken to meet them.
 */
record SloTargets(long ttftMillis, long tpotMillis) {

    static final SloTargets NONE = new SloTargets(0, 0);

    static SloTargets from(PoolOptions options) {
        return new SloTargets(options.millis(InferenceLoadBalancer.SLO_TTFT),
                options.millis(InferenceLoadBalancer.SLO_TPOT));
    }

    boolean any() {
        return ttftMillis > 0 || tpotMillis > 0;
    }

    /** Whether a backend whose metrics say this is forecast to break the targets. */
    boolean brokenBy(BackendTelemetry telemetry) {
        if (!any()) {
            return false;
        }
        LatencyForecast forecast = LatencyForecast.of(telemetry);
        return ttftMillis > 0 && forecast.ttftSeconds() * 1000 > ttftMillis
                || tpotMillis > 0 && forecast.tpotSeconds() * 1000 > tpotMillis;
    }

    /** How long a request may wait for a backend that meets the targets: half its time-to-first-token budget. */
    long holdMillis() {
        return ttftMillis > 0 ? ttftMillis / 2 : 0;
    }
}
