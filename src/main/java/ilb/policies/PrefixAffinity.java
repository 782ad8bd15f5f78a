package ilb.policies;

import java.util.Comparator;
import java.util.List;

import ilb.backend.Backend;
import ilb.balancer.PoolOption;
import ilb.balancer.PoolOptions;
import ilb.balancer.SelectionPolicy;
import ilb.inference.InferenceRequest;

/**
 * Sends a request where the start of its prompt is most likely in the prefix cache already, so that the server
 * skips that part of the prefill (time to first token drops with it). Within a {@link BoundedLoad}:
 * <ul>
 * <li>a request with a session header goes to the session's backend by rendezvous hashing (the same backend
 * from every ilb replica, and only 1/n of sessions move when a backend comes or goes);</li>
 * <li>otherwise to the backend that was sent the longest run of the prompt's leading blocks lately
 * ({@link PrefixIndex}), the less loaded one on a tie;</li>
 * <li>a prompt seen nowhere goes where rendezvous hashing of its first block puts it, so that new prefixes spread
 * over the pool (the same way from every replica);</li>
 * <li>a prompt whose backends are all over the bound goes to the least loaded backend, which then holds that
 * prefix too: a hot prefix spreads as far as its load needs.</li>
 * </ul>
 * Option: {@link #LOAD_BOUND}. The session comes from the header {@code ilb.http.sessionHeader}.
 */
public final class PrefixAffinity implements SelectionPolicy {

    /** Blocks remembered per pool: 16 Ki blocks of 256 characters, some 4 MB of prompts. */
    static final int INDEX_BLOCKS = 1 << 14;

    static final PoolOption LOAD_BOUND = PoolOption.number("loadBound", "2", "how many times its weighted share of"
            + " the pool's requests in flight a backend may hold before a prefix it holds goes elsewhere; at least 1");

    private final double loadBound;
    private final PrefixIndex index = new PrefixIndex(INDEX_BLOCKS);

    public PrefixAffinity(PoolOptions options) {
        this(options.number(LOAD_BOUND));
    }

    PrefixAffinity(double loadBound) {
        if (loadBound < 1) {
            throw new IllegalArgumentException("prefix-affinity: loadBound must be at least 1, got " + loadBound);
        }
        this.loadBound = loadBound;
    }

    @Override
    public Backend choose(List<Backend> candidates, InferenceRequest request) {
        BoundedLoad bound = new BoundedLoad(loadBound, candidates);
        String session = request.session();
        return session != null ? byKey(candidates, session.hashCode(), bound) : byPrefix(candidates, request, bound);
    }

    @Override
    public void sent(InferenceRequest request, Backend backend) {
        index.record(request.prefix(), backend);
    }

    private static Backend byKey(List<Backend> candidates, long key, BoundedLoad bound) {
        return candidates.stream()
                .sorted(Comparator.comparingLong((Backend b) -> Rendezvous.score(key, b.id())).reversed())
                .filter(bound::admits)
                .findFirst()
                .orElseGet(() -> LeastRequest.leastLoaded(candidates));
    }

    private Backend byPrefix(List<Backend> candidates, InferenceRequest request, BoundedLoad bound) {
        int[] matched = index.matches(request.prefix(), candidates);
        Backend best = null;
        int bestMatched = 0;
        boolean seen = false;
        for (int c = 0; c < matched.length; c++) {
            Backend backend = candidates.get(c);
            seen |= matched[c] > 0;
            if (matched[c] == 0 || !bound.admits(backend)) {
                continue;
            }
            if (matched[c] > bestMatched
                    || matched[c] == bestMatched && LeastRequest.load(backend) < LeastRequest.load(best)) {
                best = backend;
                bestMatched = matched[c];
            }
        }
        if (best != null) {
            return best;
        }
        return seen || request.prefix().blocks() == 0 ? LeastRequest.leastLoaded(candidates)
                : byKey(candidates, request.prefix().block(0), bound);
    }
}
