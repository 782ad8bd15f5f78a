package ilb.policies;

import java.util.ArrayList;
import java.util.List;

import ilb.backend.Backend;
import org.junit.jupiter.api.Test;

import static ilb.backend.Backends.backend;
import static org.assertj.core.api.Assertions.assertThat;

class RoundRobinTest {

    @Test
    void takesEachCandidateInTurn() {
        List<Backend> candidates = List.of(backend("a", 1, 8), backend("b", 5, 8), backend("c", 1, 8));
        RoundRobin policy = new RoundRobin();
        List<String> picks = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            picks.add(policy.choose(candidates, Requests.ANY).id());
        }
        assertThat(picks).containsExactly("a", "b", "c", "a", "b", "c");
    }
}
