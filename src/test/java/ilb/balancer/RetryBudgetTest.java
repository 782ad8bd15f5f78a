package ilb.balancer;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class RetryBudgetTest {

    private static int withdrawAll(RetryBudget budget) {
        int retries = 0;
        while (budget.tryWithdraw()) {
            retries++;
        }
        return retries;
    }

    @Test
    void startsWithWhatItMaySaveUp() {
        assertThat(withdrawAll(new RetryBudget(0.2, 0, 5))).isEqualTo(5);
    }

    @Test
    void earnsAFractionOfARetryPerRequest() {
        RetryBudget budget = new RetryBudget(0.2, 0, 100);
        withdrawAll(budget);
        for (int i = 0; i < 50; i++) {
            budget.deposit();
        }
        // 50 requests x 20 % = 10 retries, give or take float rounding
        assertThat(withdrawAll(budget)).isBetween(9, 10);
    }

    @Test
    void neverSavesMoreThanItsCap() {
        RetryBudget budget = new RetryBudget(1.0, 0, 3);
        for (int i = 0; i < 100; i++) {
            budget.deposit();
        }
        assertThat(withdrawAll(budget)).isEqualTo(3);
    }

    @Test
    void anEmptyBudgetRefusesRetries() {
        RetryBudget budget = new RetryBudget(0.0, 0, 0);
        budget.deposit();
        assertThat(budget.tryWithdraw()).isFalse();
    }
}
