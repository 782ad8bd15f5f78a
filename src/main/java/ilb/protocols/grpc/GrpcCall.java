package ilb.protocols.grpc;

import io.grpc.Metadata;
import io.netty.util.concurrent.Future;

/**
 * A call of {@code inference.GRPCInferenceService} as the {@code kserve-grpc:} consumer hands it to its route, for
 * {@link GrpcApi} to read.
 *
 * @param rpc       which call
 * @param message   its request message, as the client serialized it
 * @param metadata  its metadata (request headers)
 * @param cancelled completes when the call is cancelled: the client cancelled it, went away, or its deadline passed
 */
public record GrpcCall(KServeRpc rpc, byte[] message, Metadata metadata, Future<?> cancelled) {

    @Override
    public String toString() {
        // never the metadata: it may carry a key
        return rpc.method().getFullMethodName() + " (" + message.length + " bytes)";
    }
}
