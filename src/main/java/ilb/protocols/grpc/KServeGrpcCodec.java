package ilb.protocols.grpc;

import java.util.Map;

import ilb.inference.HttpReply;
import ilb.inference.InferenceMessage;
import ilb.inference.InferenceRequest;

/**
 * KServe v2 between its two wires: REST (JSON, with the binary tensor extension) and gRPC
 * ({@code grpc_predict_v2.proto}), in both directions, tensors included (typed contents and raw contents, byte for
 * byte). Pure functions: a request and its reply in, the other wire's out.
 */
public final class KServeGrpcCodec {

    /** A request that cannot be written in the other wire: the client's fault, answered 400 / INVALID_ARGUMENT. */
    public static final class Unconvertible extends IllegalArgumentException {
        public Unconvertible(String message) {
            super(message);
        }
    }

    /** A REST request for an HTTP backend. */
    public record RestCall(String method, String path, Map<String, String> headers, byte[] body) {
    }

    private KServeGrpcCodec() {
    }

    /**
     * A gRPC request's message with its model and version replaced by the request's own ({@link
     * InferenceRequest#model()}, {@link InferenceRequest#version()}): an alias becomes the model's name, and the
     * version chosen by the route is the one the backend is asked for. Works for the three messages that name a
     * model (fields 1 and 2 of {@code ModelInferRequest}, {@code ModelReadyRequest}, {@code ModelMetadataRequest}).
     */
    public static byte[] withModel(InferenceRequest grpcRequest) {
        throw new UnsupportedOperationException("TODO(codec)");
    }

    /** The REST request for an HTTP backend that a gRPC request stands for. */
    public static RestCall toRest(InferenceRequest grpcRequest) {
        throw new UnsupportedOperationException("TODO(codec)");
    }

    /**
     * An HTTP backend's reply to {@link #toRest}, in gRPC: a 2xx becomes {@code HttpReply(200, content-type
     * application/grpc, <response message>)}; anything else is returned as it is (the gRPC entry maps errors to
     * statuses).
     */
    public static InferenceMessage replyFromRest(InferenceRequest grpcRequest, HttpReply restReply) {
        throw new UnsupportedOperationException("TODO(codec)");
    }

    /** The gRPC request message for a gRPC backend that a REST request stands for ({@link KServeRpc#of}). */
    public static byte[] toGrpc(InferenceRequest restRequest) {
        throw new UnsupportedOperationException("TODO(codec)");
    }

    /** A gRPC backend's response message to {@link #toGrpc}, as the REST reply the client expects. */
    public static HttpReply replyFromGrpc(InferenceRequest restRequest, byte[] responseMessage) {
        throw new UnsupportedOperationException("TODO(codec)");
    }
}
