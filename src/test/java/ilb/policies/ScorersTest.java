package ilb.policies;

import java.util.List;

import ilb.backend.Backend;
import ilb.inference.InferenceRequest;
import org.junit.jupiter.api.Test;

import static ilb.backend.Backends.backend;
import static ilb.backend.Backends.occupy;
import static ilb.backend.Backends.reports;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Each scorer on its own: 0 for the best candidate, towards 1 for the worst, 0 when it cannot tell. */
class ScorersTest {

    private final Backend a = backend("a", 1, 10);
    private final Backend b = backend("b", 1, 10);
    private final Backend unknown = backend("unknown", 1, 10);
    private final List<Backend> all = List.of(a, b, unknown);

    private double[] score(Scorer scorer, InferenceRequest request) {
        return scorer.score(all, request, System.nanoTime());
    }

    @Test
    void queueScoresWaitingRequestsAgainstCapacity() {
        reports(a, 0, 5, 0, 0, 0, 0);
        reports(b, 10, 10, 0, 0, 0, 0);

        assertThat(score(new QueueScorer(), Requests.ANY)).containsExactly(0, 0.5, 0);
    }

    @Test
    void kvCacheScoresUsage() {
        reports(a, 0, 0, 0.25, 0, 0, 0);
        reports(b, 0, 0, 1.5, 0, 0, 0);

        assertThat(score(new KvCacheScorer(), Requests.ANY)).containsExactly(0.25, 1, 0);
    }

    @Test
    void inFlightScoresAgainstCapacity() {
        occupy(a, 5);
        occupy(b, 10);

        assertThat(score(new InFlightScorer(), Requests.ANY)).containsExactly(0.5, 1, 0);
    }

    @Test
    void latencyScoresAgainstTheFastest() {
        long now = System.nanoTime();
        a.latency().observe(10_000_000, now);
        b.latency().observe(40_000_000, now);

        double[] scores = score(new LatencyScorer(), Requests.ANY);

        assertThat(scores[0]).isZero();
        assertThat(scores[1]).isCloseTo(0.75, within(0.01));
        assertThat(scores[2]).isZero();
    }

    @Test
    void prefixScoresTheShareOfThePromptNotSentThere() {
        PrefixIndex index = new PrefixIndex(1000);
        String system = "s".repeat(4 * 256);
        index.record(Requests.prompt(system).prefix(), a);
        index.record(Requests.prompt(system.substring(0, 2 * 256)).prefix(), b);

        assertThat(score(new PrefixScorer(index), Requests.prompt(system))).containsExactly(0, 0.5, 1);
        assertThat(score(new PrefixScorer(index), Requests.prompt("too short for a block"))).containsExactly(0, 0, 0);
    }
}
