package ilb.protocols.grpc;

import ilb.admission.ApiKeys;
import ilb.telemetry.RefusalMeters;
import ilb.telemetry.RequestRecord;
import ilb.telemetry.RequestRecords;
import ilb.inference.ApiError;
import ilb.inference.Protocol;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;

/**
 * Who is calling {@code inference.GRPCInferenceService}, known from the call's metadata ({@code authorization:
 * Bearer <key>}) before any message is read: a call without a known key is closed UNAUTHENTICATED at once, its
 * message never read (nor buffered beyond the connection's flow-control window). ServerLive and ServerReady stay
 * open ({@link OpenCalls}), as REST's server health does, held to a few kilobytes by {@link OpenCallLimit}. The caller
 * rides on the call's {@link Context}.
 */
final class ApiKeyInterceptor implements ServerInterceptor {

    /** The caller of the current call; absent on open calls. */
    static final Context.Key<ApiKeys.Caller> CALLER = Context.key("ilb.caller");

    private static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization",
            Metadata.ASCII_STRING_MARSHALLER);

    private final ApiKeys apiKeys;
    private final RequestRecords records;
    private final RefusalMeters refusals;

    ApiKeyInterceptor(ApiKeys apiKeys, RequestRecords records, RefusalMeters refusals) {
        this.apiKeys = apiKeys;
        this.records = records;
        this.refusals = refusals;
    }

    @Override
    public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
            ServerCallHandler<Q, A> next) {
        if (apiKeys.enabled() && OpenCalls.isOpen(call.getMethodDescriptor().getFullMethodName())) {
            return next.startCall(call, headers);
        }
        Object admission = apiKeys.identify(headers.get(AUTHORIZATION));
        if (admission instanceof ApiError refusal) {
            call.close(Status.UNAUTHENTICATED.withDescription(refusal.message()), new Metadata());
            refusals.refused(Protocol.GRPC, null, null, refusal);
            RequestRecord record = InferenceCall.record(records, headers, call.getMethodDescriptor());
            if (record != null) {
                record.answered(refusal, null, 0);
                record.end();
            }
            return new ServerCall.Listener<>() {
            };
        }
        return Contexts.interceptCall(Context.current().withValue(CALLER, (ApiKeys.Caller) admission), call, headers,
                next);
    }
}
