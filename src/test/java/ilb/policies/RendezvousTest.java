package ilb.policies;

import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class RendezvousTest {

    private static String top(String key, List<String> backends) {
        return backends.stream().max(Comparator.comparingLong(id -> Rendezvous.score(key.hashCode(), id))).orElseThrow();
    }

    @Test
    void removingABackendMovesOnlyItsOwnKeys() {
        List<String> four = List.of("a", "b", "c", "d");
        List<String> three = List.of("a", "b", "c");
        long moved = IntStream.range(0, 1000).mapToObj(i -> "session-" + i)
                .filter(key -> !top(key, four).equals("d"))
                .filter(key -> !top(key, four).equals(top(key, three)))
                .count();

        assertThat(moved).isZero();
    }

    @Test
    void keysSpreadEvenlyEnough() {
        List<String> four = List.of("a", "b", "c", "d");
        for (String backend : four) {
            long owned = IntStream.range(0, 4000).filter(i -> top("k" + i, four).equals(backend)).count();
            assertThat(owned).isBetween(800L, 1200L);
        }
    }
}
