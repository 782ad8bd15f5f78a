package ilb.balancer;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PoolOptionsTest {

    @Test
    void aPolicyNameAloneHasNoOptions() {
        PoolOptions options = PoolOptions.parse("peak-ewma");

        assertThat(options.policy()).isEqualTo("peak-ewma");
        assertThat(options.number("queue", 2)).isEqualTo(2);
        options.checkAllRead();
    }

    @Test
    void optionsAreReadInTheirTypes() {
        PoolOptions options = PoolOptions.parse("scored?queue=3.5&kv=0%2E25&sloTtft=1s");

        assertThat(options.policy()).isEqualTo("scored");
        assertThat(options.number("queue", 0)).isEqualTo(3.5);
        // values are URL-decoded
        assertThat(options.number("kv", 0)).isEqualTo(0.25);
        assertThat(options.millis("sloTtft", 0)).isEqualTo(1000);
        assertThat(options.millis("sloTpot", 0)).isZero();
        options.checkAllRead();
    }

    @Test
    void typosAndBadValuesSayWhatIsWrong() {
        PoolOptions typo = PoolOptions.parse("scored?qeue=3");
        typo.number("queue", 0);
        assertThatThrownBy(typo::checkAllRead).hasMessage("balancer scored: unknown option(s) [qeue]; known: [queue]");

        assertThatThrownBy(() -> PoolOptions.parse("scored?queue=lots").number("queue", 0))
                .hasMessageContaining("queue must be a number, got lots");
        assertThatThrownBy(() -> PoolOptions.parse("scored?sloTtft=soon").millis("sloTtft", 0))
                .hasMessageContaining("sloTtft must be a duration, got soon");
        assertThatThrownBy(() -> PoolOptions.parse("scored?queue")).hasMessageContaining("expected name=value");
        assertThatThrownBy(() -> PoolOptions.parse("prefix-affinity?loadBound=NaN").number("loadBound", 2))
                .hasMessageContaining("loadBound must be a number, got NaN");
    }
}
