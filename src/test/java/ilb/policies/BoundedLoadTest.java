package ilb.policies;

import java.util.List;

import ilb.backend.Backend;
import org.junit.jupiter.api.Test;

import static ilb.backend.Backends.backend;
import static ilb.backend.Backends.occupy;
import static org.assertj.core.api.Assertions.assertThat;

class BoundedLoadTest {

    @Test
    void anIdlePoolAdmitsEveryBackend() {
        List<Backend> pool = List.of(backend("a", 1, 10), backend("b", 1, 10), backend("c", 1, 10));

        assertThat(pool).allMatch(new BoundedLoad(1.0, pool)::admits);
    }

    @Test
    void aBackendMayTakeItsShareTimesTheFactorRoundedUp() {
        Backend a = backend("a", 1, 10);
        Backend b = backend("b", 1, 10);
        occupy(a, 3);
        occupy(b, 1);
        // 5 with the new one, 2.5 each, times 1.25 = 3.125 -> 4: a has 3, may take a fourth
        assertThat(new BoundedLoad(1.25, List.of(a, b)).admits(a)).isTrue();

        occupy(a, 1);
        // 6 with the new one: 3.75 -> 4, and a would have 5
        assertThat(new BoundedLoad(1.25, List.of(a, b)).admits(a)).isFalse();
        assertThat(new BoundedLoad(1.25, List.of(a, b)).admits(b)).isTrue();
    }

    @Test
    void sharesFollowWeights() {
        Backend big = backend("big", 3, 10);
        Backend small = backend("small", 1, 10);
        occupy(big, 5);
        // 6 with the new one; big's share is 3/4 of it: 4.5 -> 5 at factor 1, and it would have 6
        assertThat(new BoundedLoad(1.0, List.of(big, small)).admits(big)).isFalse();
        assertThat(new BoundedLoad(1.5, List.of(big, small)).admits(big)).isTrue();
    }
}
