package ilb.protocols.grpc;

import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;

import ilb.admission.ApiKeys;

/**
 * The calls of the gRPC entry that anyone may make without an API key: every call but those of
 * {@code inference.GRPCInferenceService} that need one. So ServerLive and ServerReady (the paths REST keeps open too,
 * {@link ApiKeys#isAlwaysOpen}), {@code grpc.health.v1.Health} and server reflection are open, and so would be a
 * service added later outside {@link ApiKeyInterceptor}. The one list both {@link ApiKeyInterceptor} (which lets them
 * through) and {@link OpenCallLimit} (which holds them to {@link #MAX_BYTES}) go by.
 */
final class OpenCalls {

    /**
     * The most an open call may send: all its messages together, 5 bytes of framing counted for each. Their requests
     * are a few bytes (a health check names a service; grpcurl's {@code describe} asks reflection a handful of
     * symbols on one stream), so a caller without a key costs ilb a few kilobytes a call, not maxMessageBytes.
     */
    static final int MAX_BYTES = 16 * 1024;

    /** What the status of an open call cut off says. */
    static final String TOO_LARGE = "a call without an API key (ServerLive, ServerReady, health, reflection) may send "
            + "at most " + MAX_BYTES + " bytes";

    /** What the status of an open call refused for a compressed message says. */
    static final String COMPRESSED = "a call without an API key (ServerLive, ServerReady, health, reflection) takes "
            + "uncompressed messages only";

    private static final Set<String> KEYED = Arrays.stream(KServeRpc.values())
            .filter(rpc -> !ApiKeys.isAlwaysOpen(rpc.path("", "")))
            .map(rpc -> rpc.method().getFullMethodName())
            .collect(Collectors.toUnmodifiableSet());

    private OpenCalls() {
    }

    /** Whether a call, by its full method name ({@code package.Service/Method}), needs no API key. */
    static boolean isOpen(String fullMethodName) {
        return !KEYED.contains(fullMethodName);
    }
}
