package ilb.simulator;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A vLLM-style automatic prefix cache: the prompt is cut into blocks of tokens, each block is named by a hash of
 * itself and everything before it, and a prompt whose leading blocks are cached skips their prefill. Least recently
 * used blocks are evicted first. Not thread-safe: the engine owns it.
 */
final class PrefixCache {

    private final int blockTokens;
    private final Map<Long, Boolean> blocks;

    PrefixCache(int blockTokens, int capacityBlocks) {
        this.blockTokens = blockTokens;
        this.blocks = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Long, Boolean> eldest) {
                return size() > capacityBlocks;
            }
        };
    }

    /** The chained hashes of the prompt's full blocks. */
    List<Long> blockHashes(List<String> tokens) {
        List<Long> hashes = new ArrayList<>(tokens.size() / blockTokens);
        long hash = 17;
        for (int end = blockTokens; end <= tokens.size(); end += blockTokens) {
            for (int i = end - blockTokens; i < end; i++) {
                hash = hash * 31 + tokens.get(i).hashCode();
            }
            hashes.add(hash);
        }
        return hashes;
    }

    /** How many prompt tokens are already cached (the longest cached run of leading blocks), then caches them all. */
    int lookupAndInsert(List<Long> hashes) {
        int hits = 0;
        while (hits < hashes.size() && blocks.get(hashes.get(hits)) != null) {
            hits++;
        }
        for (Long hash : hashes) {
            blocks.put(hash, Boolean.TRUE);
        }
        return hits * blockTokens;
    }
}
