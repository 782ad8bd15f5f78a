package ilb.policies;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import ilb.backend.Backend;
import ilb.backend.ServiceProfile.PredictionError;
import ilb.balancer.PoolOptions;
import ilb.inference.BackendStream;
import ilb.inference.TestStreams;
import ilb.inference.HttpReply;
import ilb.inference.InferenceRequest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import static ilb.backend.Backends.backend;
import static ilb.backend.Backends.occupy;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The policy over backends without servers, its clock driven by the test. */
class PredictedLatencyTest {

    private static final long MS = 1_000_000;

    private final Backend a = backend("a", 1, 16);
    private final Backend b = backend("b", 1, 16);
    private final List<Backend> fleet = List.of(a, b);
    private final AtomicLong clock = new AtomicLong(1_000 * MS);

    private PredictedLatency policy(long sloTtftMillis) {
        return new PredictedLatency(sloTtftMillis, 0, clock::get);
    }

    /** Measured at load 1: prefill of an empty prompt and time per token. */
    private static void measured(Backend backend, double prefillMs, double tpotMs) {
        backend.profile().prefilled((long) (prefillMs * MS), 0, 1, 0);
        backend.profile().decoded(tpotMs * MS, 1, 0);
    }

    @Test
    void sendsARequestWhereItWouldFinishFirst() {
        measured(a, 50, 20);
        measured(b, 10, 5);

        assertThat(policy(0).choose(fleet, Requests.asking("", 16))).isSameAs(b);
    }

    @Test
    void aLongAnswerGoesWhereTokensComeFastestAShortOneWhereTheFirstComesSoonest() {
        measured(a, 10, 20);
        measured(b, 100, 5);

        // 10 + 20 ms against 100 + 5 ms
        assertThat(policy(0).choose(fleet, Requests.asking("", 1))).isSameAs(a);
        // 10 + 2000 ms against 100 + 500 ms
        assertThat(policy(0).choose(fleet, Requests.asking("", 100))).isSameAs(b);
    }

    @Test
    void aBackendNotMeasuredYetGetsTried() {
        measured(a, 10, 5);
        occupy(a, 1);

        // predicted as fast as a, and less loaded
        assertThat(policy(0).choose(fleet, Requests.ANY)).isSameAs(b);
    }

    @Test
    void withATargetItTakesTheBackendMostLikelyToMeetIt() {
        measured(a, 60, 5);
        measured(b, 80, 5);
        for (int i = 0; i < 10; i++) {
            // a's predictions were off by a factor of 2 either way, b's were right
            a.profile().ttftMissed(i % 2 == 0 ? 2 : 0.5, i * MS);
            b.profile().ttftMissed(1, i * MS);
        }

        assertThat(policy(100).choose(fleet, Requests.ANY)).isSameAs(b);
        // without a target, the earlier first token wins
        assertThat(policy(0).choose(fleet, Requests.ANY)).isSameAs(a);
    }

    @Test
    void theChanceOfMeetingATargetFollowsThePredictorsErrors() {
        PredictionError exact = new PredictionError(0, 0);
        PredictionError late = new PredictionError(Math.log(2), 0.1);

        assertThat(PredictedLatency.chance(80 * MS, 0, PredictionError.UNKNOWN)).isEqualTo(1);
        assertThat(PredictedLatency.chance(100 * MS, 100 * MS, PredictionError.UNKNOWN)).isCloseTo(0.5, within(1e-6));
        assertThat(PredictedLatency.chance(80 * MS, 100 * MS, exact)).isGreaterThan(0.98);
        // a backend whose first tokens come twice as late as predicted
        assertThat(PredictedLatency.chance(80 * MS, 100 * MS, late)).isLessThan(0.01);
    }

    @Test
    void aWholeReplyTeachesItTheBackendsTimeAndOutput() {
        PredictedLatency policy = policy(0);
        InferenceRequest request = Requests.asking("", 8);
        policy.sent(request, a);
        long sent = clock.get();
        clock.addAndGet(50 * MS);

        policy.answered(request, a, sent, HttpReply.json(200,
                "{\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":8}}"));

        assertThat(a.profile().serviceNanos(clock.get())).isEqualTo(50 * MS);
        assertThat(a.profile().outputTokens(clock.get())).isEqualTo(8);
        // an answer is measured once: a second report of it finds nothing pending
        policy.answered(request, a, sent, HttpReply.json(200, "{\"usage\":{\"completion_tokens\":100}}"));
        assertThat(a.profile().outputTokens(clock.get())).isEqualTo(8);
    }

    @Test
    void aStreamTeachesItPrefillAndDecodeAndThenItsPredictionsErrorIsRecorded() {
        PredictedLatency policy = policy(0);
        List<Double> errors = new ArrayList<>();
        a.profile().onTtftError(errors::add);

        // first token after 30 ms, then 3 tokens in 20 ms more: 10 ms apart
        stream(policy, Requests.asking("", 3), 30, 20, 3);
        assertThat(a.profile().prefillNanos(0, 1, clock.get())).isEqualTo(30 * MS);
        assertThat(a.profile().tpotNanos(1, clock.get())).isEqualTo(10 * MS);
        assertThat(a.profile().serviceNanos(clock.get())).isEqualTo(50 * MS);
        // nothing was measured when the first was predicted: no error to speak of
        assertThat(errors).isEmpty();

        // predicted 30 ms, came after 60
        stream(policy, Requests.asking("", 3), 60, 20, 3);
        assertThat(errors).containsExactly(2.0);
    }

    @Test
    void failuresTeachItNothing() {
        PredictedLatency policy = policy(0);
        policy.sent(Requests.ANY, a);

        policy.answered(Requests.ANY, a, clock.get(), HttpReply.json(503, "{}"));

        assertThat(a.profile().serviceNanos(clock.get())).isNaN();
    }

    @Test
    void itReadsTheTargetsOfItsPool() {
        Policy policy = Policies.named("predicted-latency");
        assertThat(policy.of(PoolOptions.parse("predicted-latency?sloTtft=300ms&sloTpot=50ms")))
                .isInstanceOf(PredictedLatency.class);

        assertThatThrownBy(() -> policy.of(PoolOptions.parse("predicted-latency?sloTfft=300ms")))
                .hasMessageContaining("unknown option(s) [sloTfft]");
    }

    /** Sends the request to a and streams {@code tokens} tokens back, the test's clock moving as they come. */
    private void stream(PredictedLatency policy, InferenceRequest request, long ttftMs, long decodeMs, int tokens) {
        policy.sent(request, a);
        long sent = clock.get();
        BackendStream stream = TestStreams.unconnected();
        stream.push(token());
        clock.addAndGet(ttftMs * MS);
        policy.answered(request, a, sent, stream);
        stream.subscribe(new BackendStream.Subscriber() {
            @Override
            public void onChunk(ByteBuf chunk) {
                chunk.release();
            }

            @Override
            public void onEnd() {
            }

            @Override
            public void onError(String reason) {
            }
        });
        for (int i = 1; i < tokens; i++) {
            stream.push(token());
        }
        clock.addAndGet(decodeMs * MS);
        stream.end();
    }

    private static ByteBuf token() {
        return Unpooled.copiedBuffer("data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\n",
                StandardCharsets.UTF_8);
    }
}
