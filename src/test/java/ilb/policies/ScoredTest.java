package ilb.policies;

import java.util.List;

import ilb.backend.Backend;
import ilb.balancer.PoolOptions;
import org.junit.jupiter.api.Test;

import static ilb.backend.Backends.backend;
import static ilb.backend.Backends.occupy;
import static ilb.backend.Backends.reportedLongAgo;
import static ilb.backend.Backends.reports;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ScoredTest {

    private final Backend a = backend("a", 1, 16);
    private final Backend b = backend("b", 1, 16);
    private final List<Backend> fleet = List.of(a, b);

    private static Scored scored(String spec) {
        return (Scored) Policies.named("scored").of(PoolOptions.parse(spec));
    }

    @Test
    void avoidsABackendWhoseServerQueuesAndWhoseCacheIsFull() {
        reports(a, 8, 16, 0.95, 0.5, 0.02, 2);
        reports(b, 0, 10, 0.40, 0.1, 0.02, 1);

        assertThat(scored("scored").choose(fleet, Requests.ANY)).isSameAs(b);
    }

    @Test
    void withoutFreshTelemetryTheInFlightCountsDecide() {
        reportedLongAgo(a, 0);
        reportedLongAgo(b, 100);
        occupy(a, 4);

        assertThat(scored("scored").choose(fleet, Requests.ANY)).isSameAs(b);
    }

    @Test
    void aCachedPrefixOutweighsAModestLoad() {
        Scored policy = scored("scored");
        String system = "You answer in French. ".repeat(100);
        Backend owner = Requests.send(policy, List.of(a), Requests.prompt(system + "first"));
        occupy(owner, 4);

        assertThat(policy.choose(fleet, Requests.prompt(system + "second"))).isSameAs(owner);
        assertThat(scored("scored?prefix=0").choose(fleet, Requests.prompt(system + "third"))).isSameAs(b);
    }

    @Test
    void weightsComeFromThePoolOptions() {
        // a queues at its server, b has more in flight; which one wins depends on the weights
        reports(a, 4, 16, 0, Double.NaN, Double.NaN, Double.NaN);
        reports(b, 0, 16, 0, Double.NaN, Double.NaN, Double.NaN);
        occupy(b, 8);

        assertThat(scored("scored?queue=4&inflight=1").choose(fleet, Requests.ANY)).isSameAs(b);
        assertThat(scored("scored?queue=0.1&inflight=4").choose(fleet, Requests.ANY)).isSameAs(a);
    }

    @Test
    void badWeightsAreRefused() {
        assertThatThrownBy(() -> scored("scored?queue=-1")).hasMessageContaining("must not be negative");
        assertThatThrownBy(() -> scored("scored?queue=0&kv=0&inflight=0&latency=0&prefix=0"))
                .hasMessageContaining("every weight is 0");
        assertThatThrownBy(() -> scored("scored?qeue=1")).hasMessageContaining("unknown option(s) [qeue]");
    }
}
