package ilb.balancer;

import ilb.backend.Lease;
import ilb.inference.ApiError;
import ilb.inference.BackendFailure;
import ilb.inference.BackendStream;
import ilb.inference.HttpReply;
import ilb.inference.InferenceMessage;

/**
 * What a backend's response to one attempt comes to: what its lease records against the backend (success,
 * failure, full, or nothing), whether another backend may do better, and what the client gets if it is the last
 * word. Only what the backend did wrong counts against it: held against it, a request it cannot serve or a limit of
 * ilb's own would let one tenant's odd requests take healthy backends out of rotation for everyone.
 *
 * @param outcome        what the attempt's lease ends with
 * @param retryElsewhere whether another backend may do better: it was full (429), unavailable (502, 503, 504),
 *                       unreachable, or broke the connection before answering. A timeout is not retried: the backend
 *                       may still be working on it
 * @param answer         what the client is answered, should no other backend answer instead
 */
record AttemptVerdict(Lease.Outcome outcome, boolean retryElsewhere, InferenceMessage answer) {

    /** How long a backend that said it was full is left alone when it does not say: a fair guess, never nothing. */
    static final long MIN_COOL_MILLIS = 1000;

    static AttemptVerdict of(InferenceMessage response) {
        if (response instanceof BackendStream) {
            return new AttemptVerdict(Lease.Outcome.SERVED, false, response);
        }
        if (response instanceof HttpReply reply) {
            return of(reply);
        }
        if (response instanceof BackendFailure failure) {
            return of(failure);
        }
        // ilb's own answer says nothing of the backend
        return new AttemptVerdict(Lease.Outcome.EXCUSED, false, response);
    }

    private static AttemptVerdict of(HttpReply reply) {
        int status = reply.status();
        if (status == 429) {
            return new AttemptVerdict(Lease.Outcome.full(Math.max(MIN_COOL_MILLIS,
                    reply.retryAfterMillis(MIN_COOL_MILLIS))), true, reply);
        }
        // any answer it meant to give is service, a client error or a 501 (it does not do what was asked) too
        Lease.Outcome outcome = status >= 500 && status != 501 ? Lease.Outcome.failed("HTTP " + status)
                : Lease.Outcome.SERVED;
        return new AttemptVerdict(outcome, status == 502 || status == 503 || status == 504, reply);
    }

    private static AttemptVerdict of(BackendFailure failure) {
        String reason = failure.message();
        return switch (failure.kind()) {
            case CONNECT -> new AttemptVerdict(Lease.Outcome.unreachable(reason), true, ApiError.unavailable(
                    "no_healthy_backend", "no backend could be reached: " + reason, 1));
            case RESET -> new AttemptVerdict(Lease.Outcome.failed(reason), true,
                    ApiError.badGateway("the backend failed: " + reason));
            case PROTOCOL -> new AttemptVerdict(Lease.Outcome.failed(reason), false,
                    ApiError.badGateway("the backend failed: " + reason));
            case TIMEOUT -> new AttemptVerdict(Lease.Outcome.failed(reason), false,
                    ApiError.gatewayTimeout("the backend did not answer in time: " + reason));
            // the request's own deadline passed: it ran out of time, which says nothing of the backend
            case EXPIRED -> new AttemptVerdict(Lease.Outcome.EXCUSED, false,
                    ApiError.gatewayTimeout("the backend did not answer in time: " + reason));
            case CLIENT_GONE -> new AttemptVerdict(Lease.Outcome.EXCUSED, false,
                    new ApiError(499, "client_closed", "client_closed", reason, 0));
            case REQUEST -> new AttemptVerdict(Lease.Outcome.EXCUSED, false,
                    ApiError.badRequest("the request could not be sent to the backend: " + reason));
            case RESPONSE_TOO_LARGE -> new AttemptVerdict(Lease.Outcome.EXCUSED, false,
                    ApiError.responseTooLarge(reason));
        };
    }
}
