package ilb.balancer;

import ilb.inference.BackendFailure;
import ilb.inference.BackendStream;
import ilb.inference.HttpReply;
import ilb.inference.InferenceMessage;

/**
 * Whose doing an attempt's outcome is, as the backend's circuit breaker and outlier ejection count it. Only what the
 * backend did wrong counts against it: held against it, a request it cannot serve or a limit of ilb's own would let
 * one tenant's odd requests take healthy backends out of rotation for everyone.
 */
enum Blame {
    /** It served: any answer it meant to give, a client error or a 501 (it does not do what was asked) too. */
    SERVED,
    /** It failed: no connection, a reset, a malformed response, a timeout, a 5xx. */
    BACKEND,
    /**
     * Nothing to judge it by: it was full (429), the client left, the request's own deadline passed, or ilb refused
     * the request or the response.
     */
    EXCUSED;

    static Blame of(InferenceMessage response) {
        if (response instanceof BackendStream) {
            return SERVED;
        }
        if (response instanceof HttpReply reply) {
            int status = reply.status();
            if (status == 429) {
                return EXCUSED;
            }
            return status >= 500 && status != 501 ? BACKEND : SERVED;
        }
        if (response instanceof BackendFailure failure) {
            return switch (failure.kind()) {
                case CONNECT, RESET, TIMEOUT, PROTOCOL -> BACKEND;
                case CLIENT_GONE, REQUEST, RESPONSE_TOO_LARGE, EXPIRED -> EXCUSED;
            };
        }
        return EXCUSED;
    }
}
