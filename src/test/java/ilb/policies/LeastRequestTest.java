package ilb.policies;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import ilb.backend.Backend;
import ilb.backend.Lease;
import org.junit.jupiter.api.Test;

import static ilb.backend.Backends.backend;
import static org.assertj.core.api.Assertions.assertThat;

class LeastRequestTest {

    private static List<Lease> occupy(Backend backend, int requests) {
        List<Lease> leases = new ArrayList<>();
        for (int i = 0; i < requests; i++) {
            leases.add(backend.tryAcquire());
        }
        return leases;
    }

    @Test
    void ofTwoTheLessBusyWins() {
        Backend busy = backend("busy", 1, 16);
        Backend idle = backend("idle", 1, 16);
        occupy(busy, 3);
        LeastRequest policy = new LeastRequest(new Random(7));
        for (int i = 0; i < 20; i++) {
            assertThat(policy.choose(List.of(busy, idle), Requests.ANY).id()).isEqualTo("idle");
        }
    }

    @Test
    void loadIsMeasuredPerUnitOfWeight() {
        Backend big = backend("big", 4, 16);
        Backend small = backend("small", 1, 16);
        occupy(big, 2);
        // big: (2+1)/4 = 0.75 beats small: (0+1)/1 = 1
        assertThat(new LeastRequest(new Random(1)).choose(List.of(big, small), Requests.ANY).id()).isEqualTo("big");
    }

    @Test
    void neverPicksTheMostLoadedOfSeveral() {
        Backend a = backend("a", 1, 16);
        Backend b = backend("b", 1, 16);
        Backend c = backend("c", 1, 16);
        occupy(c, 5);
        occupy(b, 2);
        LeastRequest policy = new LeastRequest(new Random(3));
        for (int i = 0; i < 200; i++) {
            // two distinct draws: c, the most loaded, always loses its pair
            assertThat(policy.choose(List.of(a, b, c), Requests.ANY).id()).isNotEqualTo("c");
        }
    }
}
