package ilb.balancer;

import ilb.backend.Backend;
import ilb.backend.BackendTelemetry;

/**
 * One backend as the balancer sees it at one moment: what decides whether it can take a request, each read once,
 * so that a choice made from it is a function of this record alone. Times are durations from that moment. (Which
 * requests it can serve at all is its wire's, {@link Backend#serves}: fixed, not state.)
 *
 * @param backend     the backend itself, to lease once chosen
 * @param zone        its zone; empty if none is written
 * @param drained     an operator drained it
 * @param down        a health check or a refused connection took it out
 * @param ejected     it failed too many requests in a row lately ({@code ilb.backend.OutlierEjection})
 * @param breakerOpen its circuit breaker lets nothing through
 * @param coolingNanos how much longer it asked to be left alone (429 + Retry-After); 0 if it did not
 * @param inFlight    requests ilb has at it
 * @param limit       how many it may have at once: its concurrency limit
 * @param telemetry   what its metrics said lately, {@link BackendTelemetry#NONE} if nothing fresh
 */
record BackendState(Backend backend, String zone, boolean drained, boolean down, boolean ejected,
        boolean breakerOpen, long coolingNanos, int inFlight, int limit, BackendTelemetry telemetry) {

    /** The backend as it is at {@code nowNanos}: the one place its concurrency limit is read. */
    static BackendState of(Backend backend, long nowNanos) {
        return new BackendState(backend, backend.settings().zone(), backend.isDrained(), backend.isDown(),
                backend.isEjected(), backend.breakerOpen(), backend.coolingNanos(nowNanos), backend.inFlight(),
                backend.settings().capacity(), backend.telemetry(nowNanos));
    }

    /** @param evenEjected whether to judge it as if it were not ejected (a pool in panic mode) */
    Backend.Availability availability(boolean evenEjected) {
        return Backend.Availability.of(drained, down, ejected && !evenEjected, breakerOpen, coolingNanos > 0,
                inFlight >= limit);
    }

    /** As it is once it refused a lease: full, for this request at least. */
    BackendState full() {
        return new BackendState(backend, zone, drained, down, ejected, breakerOpen, coolingNanos,
                Math.max(inFlight, limit), limit, telemetry);
    }

    /** Whether it is in rotation: up, not ejected, not drained, its breaker not open (it may be full or cooling). */
    boolean inRotation() {
        return switch (availability(false)) {
            case AVAILABLE, FULL, COOLING -> true;
            default -> false;
        };
    }
}
