package ilb.balancer;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.IntFunction;

import ilb.backend.Backend;
import ilb.inference.InferenceRequest;
import ilb.inference.Priority;

/**
 * Chooses the backend for a request from a {@link PoolSnapshot}, or says why there is none: a function of its
 * inputs, so that every rule can be tested alone. The lowest tier that has a backend able to take the request
 * serves it (up, breaker not open, not cooling after a 429, below its concurrency limit, speaking the request's
 * wire, not tried by it yet), chosen inside the tier by the tier's {@link SelectionPolicy}, among the backends of
 * ilb's own zone first. With latency targets ({@link SloTargets}), backends forecast to break them are passed over,
 * and a tier with no other passes the request on to the next; if no tier has one that meets them, the first tier's
 * choice is taken, unless a backend that would meet them is merely full and the request may still wait for it.
 * When nothing but ejected backends is left, an ejected one is chosen (panic mode). A batch job only goes to a
 * backend with {@link SpareCapacity}; neither a batch job nor a shadow copy goes anywhere while requests wait.
 */
final class Selector {

    /**
     * What the request asks of the pool.
     *
     * @param shadow  a copy of another request, which must never delay the requests it copies
     * @param mayHold whether it may still wait for a full backend that meets the latency targets rather than take
     *                one that does not
     */
    record Ask(InferenceRequest request, boolean shadow, boolean mayHold) {
    }

    /**
     * A backend to lease, or none and why.
     *
     * @param backend       the backend chosen; null if none
     * @param busy          none now, but backends able to take the request are merely full: it may wait
     * @param coolingMillis when none: the shortest time until a cooling backend wants requests again; 0 if none
     *                      cools
     * @param reason        when none: what the backends were, e.g. "2 full, 1 breaker open"
     * @param sawEjected    when none: an ejected backend was passed over
     */
    record Choice(Backend backend, boolean busy, long coolingMillis, String reason, boolean sawEjected) {

        static Choice of(Backend backend) {
            return new Choice(backend, false, 0, null, false);
        }
    }

    /** Why a batch job or a shadow copy gets no backend while interactive requests wait. */
    static final String OTHERS_WAITING = "requests are waiting";

    private static final Backend.Availability[] AVAILABILITIES = Backend.Availability.values();

    private final SloTargets slo;
    private final SpareCapacity spare;
    private final String zone;
    private final int queueSize;

    /**
     * @param zone      ilb's own zone; empty if none
     * @param queueSize how many requests the pool's queue holds: a request holds out for a backend on target only
     *                  while there is room to wait
     */
    Selector(SloTargets slo, SpareCapacity spare, String zone, int queueSize) {
        this.slo = slo;
        this.spare = spare;
        this.zone = zone;
        this.queueSize = queueSize;
    }

    /**
     * @param tried    backends the request was sent to already: not asked again
     * @param policyOf the policy of each tier, by its index in {@code pool.tiers()}
     */
    Choice decide(PoolSnapshot pool, Ask ask, Set<Backend> tried, IntFunction<SelectionPolicy> policyOf) {
        if ((ask.shadow() || ask.request().priority() == Priority.BATCH) && pool.queued() > 0) {
            return new Choice(null, true, 0, OTHERS_WAITING, false);
        }
        Choice choice = decide(pool, ask, tried, policyOf, false);
        if (choice.backend() == null && !choice.busy() && choice.sawEjected()) {
            // panic mode: with no backend left but ejected ones, an ejected one is better than no answer, and a
            // pool's outlier ejection must never cost it all its backends
            return decide(pool, ask, tried, policyOf, true);
        }
        return choice;
    }

    /** @param evenEjected whether ejected backends may be chosen too */
    private Choice decide(PoolSnapshot pool, Ask ask, Set<Backend> tried, IntFunction<SelectionPolicy> policyOf,
            boolean evenEjected) {
        InferenceRequest request = ask.request();
        boolean batch = request.priority() == Priority.BATCH;
        boolean busy = false;
        boolean fullButOnTarget = false;
        long coolingNanos = Long.MAX_VALUE;
        Backend offTarget = null;
        int[] unavailable = new int[AVAILABILITIES.length];
        int otherWire = 0;
        List<List<BackendState>> tiers = pool.tiers();
        for (int t = 0; t < tiers.size(); t++) {
            List<BackendState> tier = tiers.get(t);
            List<BackendState> candidates = new ArrayList<>(tier.size());
            for (BackendState state : tier) {
                if (tried.contains(state.backend())) {
                    continue;
                }
                if (!state.backend().serves(request)) {
                    // an OpenAI request and a backend over gRPC: not a candidate, nor a failure of the backend's
                    otherWire++;
                    continue;
                }
                Backend.Availability availability = state.availability(evenEjected);
                switch (availability) {
                    case AVAILABLE -> {
                        if (!batch || spare.allows(state, slo)) {
                            candidates.add(state);
                        } else {
                            // busy, as far as batch jobs go
                            busy = true;
                        }
                    }
                    case FULL -> {
                        busy = true;
                        fullButOnTarget |= !slo.brokenBy(state.telemetry());
                    }
                    case COOLING -> coolingNanos = Math.min(coolingNanos, state.coolingNanos());
                    default -> { }
                }
                if (availability != Backend.Availability.AVAILABLE) {
                    unavailable[availability.ordinal()]++;
                }
            }
            SelectionPolicy policy = policyOf.apply(t);
            if (slo.any()) {
                List<BackendState> onTarget = new ArrayList<>(candidates.size());
                for (BackendState candidate : candidates) {
                    if (!slo.brokenBy(candidate.telemetry())) {
                        onTarget.add(candidate);
                    }
                }
                if (onTarget.isEmpty() && !candidates.isEmpty() && offTarget == null) {
                    offTarget = policy.choose(inLocalZone(candidates), request);
                }
                candidates = onTarget;
            }
            if (!candidates.isEmpty()) {
                return Choice.of(policy.choose(inLocalZone(candidates), request));
            }
        }
        if (offTarget != null && !batch && !(fullButOnTarget && ask.mayHold() && pool.queued() < queueSize)) {
            return Choice.of(offTarget);
        }
        return new Choice(null, busy, coolingNanos == Long.MAX_VALUE ? 0 : coolingNanos / 1_000_000,
                reason(unavailable, otherWire), unavailable[Backend.Availability.EJECTED.ordinal()] > 0);
    }

    /** The candidates in this ilb's zone, if any of them can take the request; else all (zone failover). */
    private List<Backend> inLocalZone(List<BackendState> candidates) {
        List<Backend> local = new ArrayList<>(candidates.size());
        if (!zone.isEmpty()) {
            for (BackendState candidate : candidates) {
                if (zone.equals(candidate.zone())) {
                    local.add(candidate.backend());
                }
            }
        }
        if (local.isEmpty()) {
            for (BackendState candidate : candidates) {
                local.add(candidate.backend());
            }
        }
        return local;
    }

    /** What the backends were, e.g. "2 full, 1 breaker open, 1 speaking KServe v2 over gRPC only". */
    private static String reason(int[] unavailable, int otherWire) {
        StringBuilder reason = new StringBuilder();
        for (Backend.Availability availability : AVAILABILITIES) {
            int count = unavailable[availability.ordinal()];
            if (count > 0) {
                reason.append(reason.isEmpty() ? "" : ", ").append(count).append(' ')
                        .append(availability.name().toLowerCase().replace('_', ' '));
            }
        }
        if (otherWire > 0) {
            reason.append(reason.isEmpty() ? "" : ", ").append(otherWire).append(" speaking KServe v2 over gRPC only");
        }
        return reason.isEmpty() ? "no backend left to try" : reason.toString();
    }
}
