package ilb.balancer;

import java.util.Map;

import ilb.inference.ApiError;
import ilb.inference.BackendFailure;
import ilb.inference.HttpReply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/** Only what the backend did wrong is held against it. */
class BlameTest {

    private static HttpReply reply(int status) {
        return new HttpReply(status, Map.of(), new byte[0]);
    }

    private static BackendFailure failure(BackendFailure.Kind kind) {
        return new BackendFailure(kind, "");
    }

    @ParameterizedTest
    @ValueSource(ints = {500, 502, 503, 504, 599})
    void itsServerErrorsAreTheBackends(int status) {
        assertThat(Blame.of(reply(status))).isEqualTo(Blame.BACKEND);
    }

    @ParameterizedTest
    @ValueSource(ints = {200, 201, 400, 404, 422})
    void anAnswerIsServiceEvenAnError(int status) {
        assertThat(Blame.of(reply(status))).isEqualTo(Blame.SERVED);
    }

    @Test
    void notImplementedAnswersARequestItDoesNotServe() {
        assertThat(Blame.of(reply(501))).isEqualTo(Blame.SERVED);
    }

    @Test
    void beingFullIsNoFault() {
        assertThat(Blame.of(reply(429))).isEqualTo(Blame.EXCUSED);
    }

    @ParameterizedTest
    @EnumSource(value = BackendFailure.Kind.class, names = {"CONNECT", "RESET", "TIMEOUT", "PROTOCOL"})
    void failingToAnswerIsTheBackends(BackendFailure.Kind kind) {
        assertThat(Blame.of(failure(kind))).isEqualTo(Blame.BACKEND);
    }

    @ParameterizedTest
    @EnumSource(value = BackendFailure.Kind.class, names = {"CLIENT_GONE", "REQUEST", "RESPONSE_TOO_LARGE", "EXPIRED"})
    void whatTheClientOrIlbEndedIsNot(BackendFailure.Kind kind) {
        assertThat(Blame.of(failure(kind))).isEqualTo(Blame.EXCUSED);
    }

    @Test
    void ilbsOwnAnswerSaysNothingOfTheBackend() {
        assertThat(Blame.of(ApiError.internal("?"))).isEqualTo(Blame.EXCUSED);
    }
}
