package ilb.balancer;

import java.util.ArrayList;
import java.util.List;

import ilb.backend.Backend;

/**
 * A pool as it is at one moment: its backends' states, tier by tier (lowest first), and how many requests wait in
 * its queue. Never changed once made (a change makes a new one): a {@link Selector} decides from it alone.
 *
 * @param queued requests waiting in the pool's queue
 */
record PoolSnapshot(List<List<BackendState>> tiers, int queued) {

    /** @param tiers the pool's backends, tier by tier, lowest first */
    static PoolSnapshot of(List<List<Backend>> tiers, int queued, long nowNanos) {
        List<List<BackendState>> states = new ArrayList<>(tiers.size());
        for (List<Backend> tier : tiers) {
            List<BackendState> tierStates = new ArrayList<>(tier.size());
            for (Backend backend : tier) {
                tierStates.add(BackendState.of(backend, nowNanos));
            }
            states.add(tierStates);
        }
        return new PoolSnapshot(states, queued);
    }

    /** The same pool but for {@code backend}, which refused a lease: full, as far as this choice goes. */
    PoolSnapshot withFull(Backend backend) {
        List<List<BackendState>> states = new ArrayList<>(tiers.size());
        for (List<BackendState> tier : tiers) {
            List<BackendState> tierStates = new ArrayList<>(tier.size());
            for (BackendState state : tier) {
                tierStates.add(state.backend() == backend ? state.full() : state);
            }
            states.add(tierStates);
        }
        return new PoolSnapshot(states, queued);
    }
}
