package ilb.balancer;

import ilb.backend.BackendTelemetry;

/**
 * Whether a backend has room for a batch job, so that batch work only takes what interactive traffic leaves free:
 * it stays below {@code 1 - reserve} of its capacity (the rest is kept for interactive requests arriving), its own
 * queue is empty (by its metrics), and it is on the pool's latency targets.
 */
final class SpareCapacity {

    private final double reserve;

    /** @param reserve the share of each backend's capacity batch jobs leave to interactive requests, 0..1 */
    SpareCapacity(double reserve) {
        if (!(reserve >= 0 && reserve < 1)) {
            throw new IllegalArgumentException("the batch reserve must be at least 0 and below 1, not " + reserve);
        }
        this.reserve = reserve;
    }

    boolean allows(BackendState backend, SloTargets slo) {
        // a backend of capacity 1 still takes one batch job when it is idle
        int batchLimit = Math.max(1, (int) Math.floor(backend.limit() * (1 - reserve)));
        if (backend.inFlight() >= batchLimit) {
            return false;
        }
        BackendTelemetry telemetry = backend.telemetry();
        if (telemetry.known() && telemetry.waiting() > 0) {
            return false;
        }
        return !slo.brokenBy(telemetry);
    }
}
