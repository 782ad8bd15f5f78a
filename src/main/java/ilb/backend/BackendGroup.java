package ilb.backend;

import java.util.List;

/**
 * The backends a {@code backend:} entry stands for now: the one server its url names, or each server its DNS name
 * gives ({@link DiscoveredBackends}).
 *
 * @param serving the backends requests may go to
 * @param leaving backends whose server left the DNS answer: they take no new request, and are removed once their
 *                requests in flight are over
 */
public record BackendGroup(List<Backend> serving, List<Backend> leaving) {

    public BackendGroup {
        serving = List.copyOf(serving);
        leaving = List.copyOf(leaving);
    }

    static BackendGroup of(Backend backend) {
        return new BackendGroup(List.of(backend), List.of());
    }
}
