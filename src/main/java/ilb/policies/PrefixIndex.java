package ilb.policies;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import ilb.backend.Backend;
import ilb.inference.PromptPrefix;

/**
 * Which backends were lately sent which prompt blocks: ilb's guess of what sits in each backend's prefix cache,
 * without asking it. Each block remembers the few backends that got it last; the least recently used blocks are
 * forgotten first, as a server's cache evicts them.
 */
final class PrefixIndex {

    /** Backends remembered per block: a hot prefix may live on a few of them. */
    private static final int OWNERS = 4;

    private final Map<Long, String[]> owners;

    PrefixIndex(int blocks) {
        this.owners = new LinkedHashMap<>(1024, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Long, String[]> eldest) {
                return size() > blocks;
            }
        };
    }

    /** For each candidate, how many leading blocks of the prompt it was sent lately. */
    synchronized int[] matches(PromptPrefix prefix, List<Backend> candidates) {
        int[] matched = new int[candidates.size()];
        for (int block = 0; block < prefix.blocks(); block++) {
            String[] ids = owners.get(prefix.block(block));
            if (ids == null) {
                break;
            }
            boolean anyLonger = false;
            for (int c = 0; c < matched.length; c++) {
                if (matched[c] == block && contains(ids, candidates.get(c).id())) {
                    matched[c]++;
                    anyLonger = true;
                }
            }
            if (!anyLonger) {
                break;
            }
        }
        return matched;
    }

    /** The prompt went to {@code backend}: it now holds its blocks. */
    synchronized void record(PromptPrefix prefix, Backend backend) {
        String id = backend.id();
        for (int block = 0; block < prefix.blocks(); block++) {
            String[] ids = owners.get(prefix.block(block));
            if (ids == null) {
                owners.put(prefix.block(block), new String[] {id});
            } else if (!contains(ids, id)) {
                String[] more = new String[Math.min(OWNERS, ids.length + 1)];
                more[0] = id;
                System.arraycopy(ids, 0, more, 1, more.length - 1);
                owners.put(prefix.block(block), more);
            }
        }
    }

    private static boolean contains(String[] ids, String id) {
        for (String each : ids) {
            if (each.equals(id)) {
                return true;
            }
        }
        return false;
    }
}
