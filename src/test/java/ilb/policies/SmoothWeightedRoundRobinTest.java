package ilb.policies;

import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import ilb.backend.Backend;
import org.junit.jupiter.api.Test;

import static ilb.backend.Backends.backend;
import static org.assertj.core.api.Assertions.assertThat;

class SmoothWeightedRoundRobinTest {

    @Test
    void spreadsPicksInProportionToWeightWithoutBursts() {
        List<Backend> candidates = List.of(backend("a", 5, 8), backend("b", 1, 8), backend("c", 1, 8));
        SmoothWeightedRoundRobin policy = new SmoothWeightedRoundRobin();
        String picks = IntStream.range(0, 14).mapToObj(i -> policy.choose(candidates, Requests.ANY).id())
                .collect(Collectors.joining());
        // nginx's sequence for 5,1,1, twice
        assertThat(picks).isEqualTo("aabacaa" + "aabacaa");
    }

    @Test
    void keepsProportionsWhenTheCandidatesChange() {
        Backend a = backend("a", 3, 8);
        Backend b = backend("b", 1, 8);
        Backend c = backend("c", 1, 8);
        SmoothWeightedRoundRobin policy = new SmoothWeightedRoundRobin();
        // c drops out (full or down) half of the time
        long aPicks = IntStream.range(0, 400)
                .mapToObj(i -> policy.choose(i % 2 == 0 ? List.of(a, b, c) : List.of(a, b), Requests.ANY).id())
                .filter("a"::equals).count();
        assertThat(aPicks).isBetween(260L, 300L);
    }
}
