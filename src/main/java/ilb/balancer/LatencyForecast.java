package ilb.balancer;

import ilb.backend.BackendTelemetry;

/**
 * What one more request at a backend would likely see, from the server's metrics: its recent time to first token,
 * plus a wait for a place in the batch when requests queue there (each round of the queue costs about one request's
 * whole time), and its recent time per output token. NaN where the metrics do not tell.
 */
record LatencyForecast(double ttftSeconds, double tpotSeconds) {

    static final LatencyForecast UNKNOWN = new LatencyForecast(Double.NaN, Double.NaN);

    /** @param telemetry the backend's fresh metrics, or {@link BackendTelemetry#NONE} */
    static LatencyForecast of(BackendTelemetry telemetry) {
        if (!telemetry.known()) {
            return UNKNOWN;
        }
        double ttft = telemetry.ttftSeconds();
        double waiting = telemetry.waiting();
        if (waiting > 0 && !Double.isNaN(telemetry.e2eSeconds())) {
            double rounds = waiting / Math.max(1, Double.isNaN(telemetry.running()) ? 1 : telemetry.running());
            ttft += rounds * telemetry.e2eSeconds();
        }
        return new LatencyForecast(ttft, telemetry.tpotSeconds());
    }
}
