package ilb.telemetry;

import ilb.inference.ApiError;
import ilb.inference.BackendFailure;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What ilb refused to send or to take has outcome labels of its own, on the attempt and on the request alike, apart
 * from client errors a backend answered and from its failures.
 */
class RefusedOutcomesTest {

    @Test
    void aRequestThatCouldNotBeSentIsInvalidRequest() {
        assertThat(RequestMeters.outcome(new BackendFailure(BackendFailure.Kind.REQUEST, "bad path")))
                .isEqualTo("invalid_request");
        assertThat(RequestMeters.outcome(ApiError.badRequest("bad path"))).isEqualTo("invalid_request");
    }

    @Test
    void aResponseTooLargeIsResponseTooLarge() {
        assertThat(RequestMeters.outcome(new BackendFailure(BackendFailure.Kind.RESPONSE_TOO_LARGE, "too big")))
                .isEqualTo("response_too_large");
        assertThat(RequestMeters.outcome(ApiError.responseTooLarge("too big"))).isEqualTo("response_too_large");
    }

    @Test
    void anAttemptPastTheRequestsOwnDeadlineIsDeadlineExceeded() {
        assertThat(RequestMeters.outcome(new BackendFailure(BackendFailure.Kind.EXPIRED, "late")))
                .isEqualTo("deadline_exceeded");
    }

    @Test
    void otherErrorsKeepTheirLabels() {
        assertThat(RequestMeters.outcome(new BackendFailure(BackendFailure.Kind.PROTOCOL, "?"))).isEqualTo("protocol_error");
        assertThat(RequestMeters.outcome(ApiError.badGateway("?"))).isEqualTo("server_error");
        assertThat(RequestMeters.outcome(ApiError.notFound("model_not_found", "?"))).isEqualTo("client_error");
    }
}
