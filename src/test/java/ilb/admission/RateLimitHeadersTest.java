package ilb.admission;

import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class RateLimitHeadersTest {

    @Test
    void durationsAreWrittenAsOpenAiWritesThem() {
        assertThat(RateLimitHeaders.duration(0)).isEqualTo("0s");
        assertThat(RateLimitHeaders.duration(20)).isEqualTo("20ms");
        assertThat(RateLimitHeaders.duration(999)).isEqualTo("999ms");
        assertThat(RateLimitHeaders.duration(1000)).isEqualTo("1s");
        assertThat(RateLimitHeaders.duration(1200)).isEqualTo("1.2s");
        assertThat(RateLimitHeaders.duration(1050)).isEqualTo("1.05s");
        assertThat(RateLimitHeaders.duration(17_005)).isEqualTo("17.005s");
        assertThat(RateLimitHeaders.duration(60_000)).isEqualTo("1m0s");
        assertThat(RateLimitHeaders.duration(360_000)).isEqualTo("6m0s");
        assertThat(RateLimitHeaders.duration(90_500)).isEqualTo("1m30.5s");
        assertThat(RateLimitHeaders.duration(3_600_000)).isEqualTo("1h0m0s");
        assertThat(RateLimitHeaders.duration(3_661_000)).isEqualTo("1h1m1s");
    }

    @Test
    void eachLimitTheTenantHasHasItsThreeHeaders() {
        LimitStore.Verdict both = new LimitStore.Verdict(true, null, 0, new LimitStore.Window(60, 59, 1000),
                new LimitStore.Window(150_000, 149_984, 6));
        assertThat(RateLimitHeaders.of(both)).isEqualTo(Map.of(
                "x-ratelimit-limit-requests", "60", "x-ratelimit-remaining-requests", "59",
                "x-ratelimit-reset-requests", "1s", "x-ratelimit-limit-tokens", "150000",
                "x-ratelimit-remaining-tokens", "149984", "x-ratelimit-reset-tokens", "6ms"));

        LimitStore.Verdict tokensOnly = new LimitStore.Verdict(false, "tokens", 6000, null,
                new LimitStore.Window(1000, 0, 360_000));
        assertThat(RateLimitHeaders.of(tokensOnly)).containsOnlyKeys("x-ratelimit-limit-tokens",
                "x-ratelimit-remaining-tokens", "x-ratelimit-reset-tokens")
                .containsEntry("x-ratelimit-reset-tokens", "6m0s");

        // concurrency alone: OpenAI has no header for it
        assertThat(RateLimitHeaders.of(new LimitStore.Verdict(false, "concurrency", 1000, null, null))).isEmpty();
    }
}
