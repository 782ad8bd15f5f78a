package ilb.admission;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ByteBudgetTest {

    @Test
    void reservesAllOrNothingUpToItsLimit() {
        ByteBudget budget = new ByteBudget(100);
        assertThat(budget.tryReserve(60)).isTrue();
        assertThat(budget.tryReserve(41)).isFalse();
        assertThat(budget.inUse()).isEqualTo(60);
        assertThat(budget.tryReserve(40)).isTrue();
        assertThat(budget.tryReserve(1)).isFalse();
    }

    @Test
    void releasedBytesMayBeReservedAgain() {
        ByteBudget budget = new ByteBudget(100);
        budget.tryReserve(100);
        budget.release(30);
        assertThat(budget.inUse()).isEqualTo(70);
        assertThat(budget.tryReserve(30)).isTrue();
    }

    @Test
    void aBudgetHasAtLeastOneByte() {
        assertThatThrownBy(() -> new ByteBudget(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
