package ilb.balancer;

import java.util.Map;

import ilb.backend.Lease.Outcome;
import ilb.inference.ApiError;
import ilb.inference.BackendFailure;
import ilb.inference.BackendStream;
import ilb.inference.HttpReply;
import io.netty.util.concurrent.ImmediateEventExecutor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/** What each response a backend can give comes to: its lease's outcome, a retry elsewhere or not, the answer. */
class AttemptVerdictTest {

    private static HttpReply reply(int status) {
        return new HttpReply(status, Map.of(), new byte[0]);
    }

    private static AttemptVerdict failure(BackendFailure.Kind kind) {
        return AttemptVerdict.of(new BackendFailure(kind, "why"));
    }

    @ParameterizedTest
    @ValueSource(ints = {200, 201, 400, 404, 422, 501})
    void anAnswerItMeantToGiveIsServiceEvenAnErrorOrANotImplemented(int status) {
        HttpReply reply = reply(status);
        assertThat(AttemptVerdict.of(reply)).isEqualTo(new AttemptVerdict(Outcome.SERVED, false, reply));
    }

    @ParameterizedTest
    @ValueSource(ints = {500, 505, 599})
    void itsOtherServerErrorsAreFailuresAnotherBackendWouldNotMend(int status) {
        HttpReply reply = reply(status);
        assertThat(AttemptVerdict.of(reply))
                .isEqualTo(new AttemptVerdict(Outcome.failed("HTTP " + status), false, reply));
    }

    @ParameterizedTest
    @ValueSource(ints = {502, 503, 504})
    void beingUnavailableIsAFailureAnotherBackendMayMend(int status) {
        HttpReply reply = reply(status);
        assertThat(AttemptVerdict.of(reply))
                .isEqualTo(new AttemptVerdict(Outcome.failed("HTTP " + status), true, reply));
    }

    @Test
    void beingFullIsNoFaultCoolsTheBackendForItsRetryAfterAndTriesAnother() {
        HttpReply full = new HttpReply(429, Map.of("retry-after", "3"), new byte[0]);
        assertThat(AttemptVerdict.of(full)).isEqualTo(new AttemptVerdict(Outcome.full(3000), true, full));
    }

    @Test
    void aFullBackendThatDoesNotSayForHowLongOrSaysNoTimeIsLeftAloneASecond() {
        assertThat(AttemptVerdict.of(reply(429)).outcome()).isEqualTo(Outcome.full(1000));
        HttpReply now = new HttpReply(429, Map.of("retry-after", "0"), new byte[0]);
        assertThat(AttemptVerdict.of(now).outcome()).isEqualTo(Outcome.full(1000));
    }

    @Test
    void aStreamThatStartedWasServedAndGoesToTheClient() {
        BackendStream stream = new BackendStream(200, Map.of(), ImmediateEventExecutor.INSTANCE, null);
        assertThat(AttemptVerdict.of(stream)).isEqualTo(new AttemptVerdict(Outcome.SERVED, false, stream));
    }

    @Test
    void anUnreachableBackendIsTakenOutAndAnotherTried() {
        assertThat(failure(BackendFailure.Kind.CONNECT)).isEqualTo(new AttemptVerdict(Outcome.unreachable("why"),
                true, ApiError.unavailable("no_healthy_backend", "no backend could be reached: why", 1)));
    }

    @Test
    void aConnectionBrokenBeforeAnswerIsAFailureAnotherBackendMayMend() {
        assertThat(failure(BackendFailure.Kind.RESET)).isEqualTo(new AttemptVerdict(Outcome.failed("why"), true,
                ApiError.badGateway("the backend failed: why")));
    }

    @Test
    void aMalformedAnswerIsAFailureNotRetried() {
        assertThat(failure(BackendFailure.Kind.PROTOCOL)).isEqualTo(new AttemptVerdict(Outcome.failed("why"), false,
                ApiError.badGateway("the backend failed: why")));
    }

    @Test
    void aTimeoutIsAFailureNotRetriedForTheBackendMayStillBeWorkingOnIt() {
        assertThat(failure(BackendFailure.Kind.TIMEOUT)).isEqualTo(new AttemptVerdict(Outcome.failed("why"), false,
                ApiError.gatewayTimeout("the backend did not answer in time: why")));
    }

    @Test
    void theRequestsOwnDeadlineSaysNothingOfTheBackend() {
        assertThat(failure(BackendFailure.Kind.EXPIRED)).isEqualTo(new AttemptVerdict(Outcome.EXCUSED, false,
                ApiError.gatewayTimeout("the backend did not answer in time: why")));
    }

    @Test
    void aClientGoneIsExcusedAndAnswered499() {
        assertThat(failure(BackendFailure.Kind.CLIENT_GONE)).isEqualTo(new AttemptVerdict(Outcome.EXCUSED, false,
                new ApiError(499, "client_closed", "client_closed", "why", 0)));
    }

    @Test
    void aRequestThatCouldNotBeSentIsTheClientsBadRequest() {
        assertThat(failure(BackendFailure.Kind.REQUEST)).isEqualTo(new AttemptVerdict(Outcome.EXCUSED, false,
                ApiError.badRequest("the request could not be sent to the backend: why")));
    }

    @Test
    void aResponseOverIlbsLimitIsIlbsRefusalNotTheBackendsFault() {
        assertThat(failure(BackendFailure.Kind.RESPONSE_TOO_LARGE)).isEqualTo(new AttemptVerdict(Outcome.EXCUSED,
                false, ApiError.responseTooLarge("why")));
    }

    @Test
    void ilbsOwnAnswerSaysNothingOfTheBackendAndGoesAsItIs() {
        ApiError own = ApiError.internal("?");
        assertThat(AttemptVerdict.of(own)).isEqualTo(new AttemptVerdict(Outcome.EXCUSED, false, own));
    }
}
