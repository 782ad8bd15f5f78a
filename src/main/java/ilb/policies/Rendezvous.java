package ilb.policies;

/**
 * Rendezvous (highest random weight) hashing: every key ranks every backend by a hash of both, and goes to the
 * top one. Needs no ring and no shared state, so every ilb replica agrees.
 */
final class Rendezvous {

    private Rendezvous() {
    }

    static long score(long key, String backendId) {
        long h = key * 0x9E3779B97F4A7C15L + backendId.hashCode();
        // SplitMix64's finalizer: spreads nearby inputs over the whole range
        h = (h ^ (h >>> 30)) * 0xBF58476D1CE4E5B9L;
        h = (h ^ (h >>> 27)) * 0x94D049BB133111EBL;
        return h ^ (h >>> 31);
    }
}
