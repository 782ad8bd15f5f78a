package ilb.balancer;

import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PoolOptionsTest {

    private static final PoolOption QUEUE = PoolOption.number("queue", "2", "");
    private static final PoolOption KV = PoolOption.number("kv", "1", "");
    private static final List<PoolOption> KNOWN = List.of(QUEUE, KV, InferenceLoadBalancer.SLO_TTFT,
            InferenceLoadBalancer.SLO_TPOT);

    @Test
    void aPolicyNameAloneHasNoOptionsAndReadsTheDefaults() {
        PoolOptions options = PoolOptions.parse("peak-ewma");

        options.check(KNOWN);
        assertThat(options.policy()).isEqualTo("peak-ewma");
        assertThat(options.number(QUEUE)).isEqualTo(2);
        assertThat(options.millis(InferenceLoadBalancer.HEDGE_AFTER)).isEqualTo(250);
    }

    @Test
    void optionsAreReadInTheirTypes() {
        PoolOptions options = PoolOptions.parse("scored?queue=3.5&kv=0%2E25&sloTtft=1s");

        options.check(KNOWN);
        assertThat(options.policy()).isEqualTo("scored");
        assertThat(options.number(QUEUE)).isEqualTo(3.5);
        // values are URL-decoded
        assertThat(options.number(KV)).isEqualTo(0.25);
        assertThat(options.millis(InferenceLoadBalancer.SLO_TTFT)).isEqualTo(1000);
        assertThat(options.millis(InferenceLoadBalancer.SLO_TPOT)).isZero();
    }

    @Test
    void typosAndBadValuesSayWhatIsWrong() {
        assertThatThrownBy(() -> PoolOptions.parse("scored?qeue=3").check(List.of(QUEUE)))
                .hasMessage("balancer scored: unknown option(s) [qeue]; known: [queue]");
        assertThatThrownBy(() -> PoolOptions.parse("scored?queue=lots").check(KNOWN))
                .hasMessage("balancer scored: queue must be a number, got lots");
        assertThatThrownBy(() -> PoolOptions.parse("scored?sloTtft=soon").check(KNOWN))
                .hasMessage("balancer scored: sloTtft must be a duration, got soon");
        assertThatThrownBy(() -> PoolOptions.parse("scored?queue")).hasMessageContaining("expected name=value");
        assertThatThrownBy(() -> PoolOptions.parse("scored?queue=NaN").check(KNOWN))
                .hasMessageContaining("queue must be a number, got NaN");
    }
}
