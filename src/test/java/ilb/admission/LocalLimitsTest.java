package ilb.admission;

import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import ilb.inference.Priority;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class LocalLimitsTest {

    private final AtomicLong now = new AtomicLong(1_000_000);
    private final LocalLimits limits = new LocalLimits(now::get);

    static Tenant tenant(String name, long requestsPerMinute, long tokensPerMinute, int maxConcurrent) {
        return new Tenant(name, Set.of("*"), Priority.STANDARD, Priority.STANDARD, 1,
                new Quota(requestsPerMinute, tokensPerMinute, maxConcurrent), Set.of(Tenant.PRODUCTION), null, null,
                false);
    }

    @Test
    void aRequestIlbAnsweredWithoutABackendIsGivenBack() {
        Tenant tenant = tenant("deferred", 1, 0, 0);
        assertThat(limits.acquireNow(tenant, 10).admitted()).isTrue();
        assertThat(limits.acquireNow(tenant, 10).admitted()).isFalse();
        // e.g. a batch job without spare capacity, which will come again: it costs its tenant no request
        limits.settle(tenant, 0, true);
        assertThat(limits.acquireNow(tenant, 10).admitted()).isTrue();
        // one a backend answered stays counted
        limits.settle(tenant, 0, false);
        assertThat(limits.acquireNow(tenant, 10).admitted()).isFalse();
    }

    @Test
    void requestsAMinute() {
        Tenant tenant = tenant("a", 2, 0, 0);
        LimitStore.Verdict first = limits.acquireNow(tenant, 100);
        assertThat(first.admitted()).isTrue();
        assertThat(first.requests()).isEqualTo(new LimitStore.Window(2, 1, 30_000));
        // no token limit: no token window
        assertThat(first.tokens()).isNull();
        assertThat(limits.acquireNow(tenant, 100).requests()).isEqualTo(new LimitStore.Window(2, 0, 60_000));

        LimitStore.Verdict third = limits.acquireNow(tenant, 100);
        assertThat(third.admitted()).isFalse();
        assertThat(third.exceeded()).isEqualTo("requests");
        assertThat(third.retryAfterMillis()).isEqualTo(30_000);

        now.addAndGet(30_000);
        assertThat(limits.acquireNow(tenant, 100).admitted()).isTrue();
    }

    @Test
    void tokensAMinuteAreCorrectedWhenTheRequestSettles() {
        Tenant tenant = tenant("a", 0, 1000, 0);
        assertThat(limits.acquireNow(tenant, 300).tokens()).isEqualTo(new LimitStore.Window(1000, 700, 18_000));
        // it used 500: 200 more than guessed
        limits.settle(tenant, 200, false);
        assertThat(limits.acquireNow(tenant, 100).tokens().remaining()).isEqualTo(400);
        // a failed request gives its estimate back
        limits.settle(tenant, -100, false);
        assertThat(limits.acquireNow(tenant, 0).tokens().remaining()).isEqualTo(500);
    }

    @Test
    void aRequestOverTheTokensLeftWaitsForThem() {
        Tenant tenant = tenant("a", 0, 600, 0);
        assertThat(limits.acquireNow(tenant, 500).admitted()).isTrue();
        LimitStore.Verdict refused = limits.acquireNow(tenant, 200);
        assertThat(refused.admitted()).isFalse();
        assertThat(refused.exceeded()).isEqualTo("tokens");
        // 100 more tokens at 600 a minute
        assertThat(refused.retryAfterMillis()).isEqualTo(10_000);
        assertThat(refused.tokens().remaining()).isEqualTo(100);
    }

    @Test
    void concurrencyPlacesComeBackWhenRequestsSettle() {
        Tenant tenant = tenant("a", 0, 0, 2);
        assertThat(limits.acquireNow(tenant, 1).admitted()).isTrue();
        assertThat(limits.acquireNow(tenant, 1).admitted()).isTrue();
        LimitStore.Verdict third = limits.acquireNow(tenant, 1);
        assertThat(third.exceeded()).isEqualTo("concurrency");
        assertThat(third.retryAfterMillis()).isEqualTo(LocalLimits.CONCURRENCY_RETRY_MILLIS);
        // neither per-minute limit: no windows for the headers
        assertThat(third.requests()).isNull();
        assertThat(third.tokens()).isNull();

        limits.settle(tenant, 0, false);
        assertThat(limits.acquireNow(tenant, 1).admitted()).isTrue();
    }

    @Test
    void aRefusedRequestTakesNothing() {
        Tenant tenant = tenant("a", 10, 1000, 1);
        assertThat(limits.acquireNow(tenant, 100).admitted()).isTrue();
        LimitStore.Verdict refused = limits.acquireNow(tenant, 100);
        assertThat(refused.exceeded()).isEqualTo("concurrency");
        assertThat(refused.requests().remaining()).isEqualTo(9);
        assertThat(refused.tokens().remaining()).isEqualTo(900);
    }

    @Test
    void retryAfterIsWhenEveryLimitItIsOverLetsItIn() {
        Tenant tenant = tenant("a", 1, 600, 0);
        assertThat(limits.acquireNow(tenant, 600).admitted()).isTrue();
        // over both: a request comes back in 60 s, the tokens for this one in 50 s
        LimitStore.Verdict refused = limits.acquireNow(tenant, 500);
        assertThat(refused.exceeded()).isEqualTo("requests");
        assertThat(refused.retryAfterMillis()).isEqualTo(60_000);
        // over the tokens only, by more than the requests' wait
        Tenant tokens = tenant("b", 60, 60, 0);
        limits.acquireNow(tokens, 60);
        LimitStore.Verdict waiting = limits.acquireNow(tokens, 30);
        assertThat(waiting.exceeded()).isEqualTo("tokens");
        assertThat(waiting.retryAfterMillis()).isEqualTo(30_000);
    }

    @Test
    void tenantsAreCountedApart() {
        Tenant a = tenant("a", 1, 0, 0);
        Tenant b = tenant("b", 1, 0, 0);
        assertThat(limits.acquireNow(a, 1).admitted()).isTrue();
        assertThat(limits.acquireNow(a, 1).admitted()).isFalse();
        assertThat(limits.acquireNow(b, 1).admitted()).isTrue();
    }

    @Test
    void aShareCountsItsPartOfEachLimitAndAtLeastOne() {
        limits.share(0.5);
        Tenant tenant = tenant("a", 10, 1000, 1);
        LimitStore.Verdict verdict = limits.acquireNow(tenant, 0);
        assertThat(verdict.requests().limit()).isEqualTo(5);
        assertThat(verdict.tokens().limit()).isEqualTo(500);
        // half of one place is still one
        assertThat(limits.acquireNow(tenant, 0).exceeded()).isEqualTo("concurrency");
    }

    @Test
    void settlingATenantThatNeverAcquiredDoesNothing() {
        Tenant tenant = tenant("a", 0, 100, 1);
        limits.settle(tenant, 50, false);
        assertThat(limits.acquireNow(tenant, 0).tokens().remaining()).isEqualTo(100);
    }
}
