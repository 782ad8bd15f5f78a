package ilb.policies;

import java.util.List;

import ilb.backend.Backend;
import ilb.inference.InferenceRequest;
import ilb.policies.LatencyPredictor.Prediction;
import org.junit.jupiter.api.Test;

import static ilb.backend.Backends.backend;
import static ilb.backend.Backends.occupy;
import static ilb.backend.Backends.probingPast;
import static ilb.backend.Backends.reports;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Predictions from measurements set by the test, at an explicit time; backends without servers. */
class LatencyPredictorTest {

    private static final double MS = 1e6;

    private final Backend a = backend("a", 1, 16);
    private final Backend b = backend("b", 1, 16);
    /** When measurements are made and predictions asked for; telemetry is reported at the clock's time. */
    private final long now = System.nanoTime();

    private Prediction predict(Backend backend, InferenceRequest request, int matched) {
        return LatencyPredictor.predict(List.of(backend), request, new int[] {matched}, 1, now)[0];
    }

    /** Measured at load 1: prefill of an empty prompt, time per token, a request's time at the backend. */
    private void measured(Backend backend, double prefillMs, double tpotMs, double serviceMs, long tokens) {
        backend.profile().prefilled((long) (prefillMs * MS), 0, 1, now);
        backend.profile().decoded(tpotMs * MS, 1, now);
        backend.profile().served((long) (serviceMs * MS), tokens, now);
    }

    @Test
    void anIdleBackendPrefillsThenDecodesTheTokensAsked() {
        measured(a, 20, 5, 400, 10);

        Prediction prediction = predict(a, Requests.asking("", 100), 0);

        assertThat(prediction.waitNanos()).isZero();
        assertThat(prediction.ttftNanos()).isEqualTo(20 * MS);
        assertThat(prediction.finishNanos()).isEqualTo(20 * MS + 100 * 5 * MS);
        assertThat(prediction.measured()).isTrue();
    }

    @Test
    void eachRequestQueuedAtTheServerCostsOneSlotOfItsBatch() {
        measured(a, 20, 5, 400, 10);
        // 3 waiting for 4 places: this one waits for 4 places to free up, 100 ms each
        reports(a, 3, 4, 0.5, Double.NaN, Double.NaN, Double.NaN);

        assertThat(predict(a, Requests.ANY, 0).waitNanos()).isEqualTo(400 * MS);
        assertThat(predict(a, Requests.ANY, 0).ttftNanos()).isEqualTo(420 * MS);
    }

    @Test
    void requestsBeyondTheConcurrencyLimitQueueToo() {
        Backend small = backend("small", 1, 2);
        measured(small, 20, 5, 400, 10);
        occupy(small, 2);

        // a third request at a backend of 2 places waits for one of them: half a request's time
        Prediction joining = LatencyPredictor.predict(List.of(small), Requests.ANY, new int[] {0}, 1,
                now)[0];
        assertThat(joining.waitNanos()).isEqualTo(200 * MS);
        // one already in flight (its place taken) does not wait behind itself
        Prediction placed = LatencyPredictor.predict(List.of(small), Requests.ANY, new int[] {0}, 0,
                now)[0];
        assertThat(placed.waitNanos()).isZero();
    }

    @Test
    void aRequestBeyondTheBatchItsServerShowedWaitsThereThoughALearnedLimitProbingPastItLetsItIn() {
        Backend learning = backend("learning", 1, 0);
        probingPast(learning, 3);
        measured(learning, 20, 5, 300, 10);
        occupy(learning, 3);

        assertThat(learning.capacity()).isGreaterThan(3);
        assertThat(learning.places()).isEqualTo(3);
        // the fourth waits for one of the 3 places: a third of a request's time
        assertThat(predict(learning, Requests.ANY, 0).waitNanos()).isEqualTo(100 * MS);
    }

    @Test
    void whatThePrefixCacheLikelyHoldsIsNotPrefilledAgain() {
        // 10 ms for 768 characters and the fixed part (256): 10 ms per 1024
        a.profile().prefilled((long) (10 * MS), 768, 1, now);
        InferenceRequest eightBlocks = Requests.prompt("x".repeat(2048));

        assertThat(predict(a, eightBlocks, 0).prefillNanos()).isCloseTo(22.5 * MS, within(1.0));
        assertThat(predict(a, eightBlocks, 0).uncachedChars()).isEqualTo(2048);
        assertThat(predict(a, eightBlocks, 8).prefillNanos()).isCloseTo(2.5 * MS, within(1.0));
        assertThat(predict(a, eightBlocks, 6).uncachedChars()).isEqualTo(512);
    }

    @Test
    void anUnmeasuredBackendIsPredictedAsFastAsTheFastestMeasuredOne() {
        Backend c = backend("c", 1, 16);
        measured(a, 20, 5, 400, 10);
        measured(c, 40, 8, 600, 10);

        Prediction[] predictions = LatencyPredictor.predict(List.of(a, b, c), Requests.asking("", 10),
                new int[3], 1, now);

        assertThat(predictions[1].ttftNanos()).isEqualTo(20 * MS);
        assertThat(predictions[1].tpotNanos()).isEqualTo(5 * MS);
        assertThat(predictions[1].measured()).isFalse();
        assertThat(predictions[2].ttftNanos()).isEqualTo(40 * MS);
    }

    @Test
    void anUnmeasuredBackendWithARequestInFlightIsPredictedAsSlowAsTheSlowestOne() {
        Backend c = backend("c", 1, 16);
        measured(a, 20, 5, 400, 10);
        measured(c, 40, 8, 600, 10);
        // its first request has not answered yet: no more until it does, unless the others are slower still
        occupy(b, 1);

        Prediction[] predictions = LatencyPredictor.predict(List.of(a, b, c), Requests.asking("", 10),
                new int[3], 1, now);

        assertThat(predictions[1].ttftNanos()).isEqualTo(40 * MS);
        assertThat(predictions[1].tpotNanos()).isEqualTo(8 * MS);
    }

    @Test
    void withNothingMeasuredAnywhereEveryBackendIsPredictedInstant() {
        Prediction[] predictions = LatencyPredictor.predict(List.of(a, b), Requests.ANY, new int[2], 1,
                now);

        assertThat(predictions).allSatisfy(prediction -> assertThat(prediction.finishNanos()).isZero());
    }

    @Test
    void theServersMetricsStandInForWhatIlbHasNotMeasured() {
        reports(a, 0, 2, 0.1, 0.050, 0.010, 0.5);

        Prediction prediction = predict(a, Requests.asking("", 10), 0);

        assertThat(prediction.ttftNanos()).isCloseTo(50 * MS, within(1.0));
        assertThat(prediction.tpotNanos()).isCloseTo(10 * MS, within(1.0));
        // a prediction from the server's figures is no test of ilb's measurements
        assertThat(prediction.measured()).isFalse();
    }

    @Test
    void withoutMaxTokensTheCandidatesMeanOutputCounts() {
        measured(a, 0, 1, 100, 10);
        measured(b, 0, 1, 100, 30);

        Prediction[] predictions = LatencyPredictor.predict(List.of(a, b), Requests.ANY, new int[2], 1,
                now);

        assertThat(predictions[0].outputTokens()).isEqualTo(20);
        assertThat(predictions[1].outputTokens()).isEqualTo(20);
        assertThat(LatencyPredictor.predict(List.of(backend("new", 1, 16)), Requests.ANY, new int[1], 1,
                now)[0].outputTokens()).isEqualTo(1);
    }

    @Test
    void decodingIsPredictedAtTheBatchTheRequestWouldJoin() {
        a.profile().decoded(4 * MS, 1, now);
        a.profile().decoded(9 * MS, 8, now);
        occupy(a, 9);

        assertThat(predict(a, Requests.ANY, 0).tpotNanos()).isEqualTo(9 * MS);
        assertThat(predict(a, Requests.ANY, 0).batch()).isEqualTo(10);
    }
}
