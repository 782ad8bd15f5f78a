package ilb.backend;

import java.util.Map;

import com.google.protobuf.InvalidProtocolBufferException;
import ilb.inference.BackendFailure;
import ilb.inference.HttpReply;
import ilb.inference.InferenceMessage;
import ilb.protocols.grpc.KServeRpc;
import ilb.protocols.grpc.v2.ModelReadyRequest;
import ilb.protocols.grpc.v2.ModelReadyResponse;
import ilb.protocols.grpc.v2.ServerLiveRequest;
import ilb.protocols.grpc.v2.ServerLiveResponse;
import ilb.protocols.grpc.v2.ServerReadyRequest;
import ilb.protocols.grpc.v2.ServerReadyResponse;
import io.grpc.MethodDescriptor;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;

/**
 * What a health check asks a gRPC backend, as its health path names it: the call a KServe v2 path stands for
 * ({@code /v2/health/ready}: ServerReady, {@code /v2/health/live}: ServerLive,
 * {@code /v2/models/<m>[/versions/<v>]/ready}: ModelReady), or the standard health service,
 * {@code grpc.health.v1.Health} (the server as a whole) or {@code grpc.health.v1.Health/<service>}.
 *
 * @param method  the call, on bytes
 * @param request its request message
 * @param up      reads the response message: whether it says the backend is up
 */
record GrpcHealthProbe(MethodDescriptor<byte[], byte[]> method, byte[] request, Judge up) {

    /** The standard health service's name, as a health path. */
    static final String HEALTH_SERVICE = "grpc.health.v1.Health";

    private static final MethodDescriptor<byte[], byte[]> HEALTH_CHECK = GrpcBackendClient.onBytes(
            HealthGrpc.getCheckMethod());
    private static final HttpReply UP = new HttpReply(200, Map.of(), new byte[0]);

    /** Reads a response message. */
    @FunctionalInterface
    interface Judge {
        boolean up(byte[] response) throws InvalidProtocolBufferException;
    }

    /** The probe a health path names; an {@link IllegalArgumentException} saying what may be written for another. */
    static GrpcHealthProbe of(String healthPath) {
        if (healthPath.equals(HEALTH_SERVICE) || healthPath.startsWith(HEALTH_SERVICE + "/")) {
            String service = healthPath.substring(Math.min(healthPath.length(), HEALTH_SERVICE.length() + 1));
            return new GrpcHealthProbe(HEALTH_CHECK,
                    HealthCheckRequest.newBuilder().setService(service).build().toByteArray(),
                    response -> HealthCheckResponse.parseFrom(response).getStatus()
                            == HealthCheckResponse.ServingStatus.SERVING);
        }
        KServeRpc rpc = KServeRpc.of("GET", healthPath);
        if (rpc == KServeRpc.SERVER_READY) {
            return new GrpcHealthProbe(GrpcBackendClient.onBytes(rpc.method()),
                    ServerReadyRequest.getDefaultInstance().toByteArray(),
                    response -> ServerReadyResponse.parseFrom(response).getReady());
        }
        if (rpc == KServeRpc.SERVER_LIVE) {
            return new GrpcHealthProbe(GrpcBackendClient.onBytes(rpc.method()),
                    ServerLiveRequest.getDefaultInstance().toByteArray(),
                    response -> ServerLiveResponse.parseFrom(response).getLive());
        }
        if (rpc == KServeRpc.MODEL_READY && healthPath.indexOf('?') < 0) {
            // /v2/models/<m>/ready or /v2/models/<m>/versions/<v>/ready
            String[] parts = healthPath.substring("/v2/models/".length()).split("/");
            return new GrpcHealthProbe(GrpcBackendClient.onBytes(rpc.method()), ModelReadyRequest.newBuilder()
                    .setName(parts[0]).setVersion(parts.length == 4 ? parts[2] : "").build().toByteArray(),
                    response -> ModelReadyResponse.parseFrom(response).getReady());
        }
        throw new IllegalArgumentException("a gRPC backend's healthPath is /v2/health/ready, /v2/health/live,"
                + " /v2/models/<model>[/versions/<version>]/ready, " + HEALTH_SERVICE + " or " + HEALTH_SERVICE
                + "/<service>, got '" + healthPath + "'");
    }

    /**
     * The backend's answer to the probe ({@link GrpcBackendClient}'s outcome) as a health check judges it: 200
     * when the response says up, 503 when it says not; any other answer as it is.
     */
    InferenceMessage judge(InferenceMessage answer) {
        if (!(answer instanceof HttpReply reply) || reply.status() != 200) {
            return answer;
        }
        try {
            return up.up(reply.body()) ? UP : HttpReply.json(503, "{\"error\":\"" + method.getBareMethodName()
                    + " says the backend is not up\"}");
        } catch (InvalidProtocolBufferException e) {
            return new BackendFailure(BackendFailure.Kind.PROTOCOL, method.getFullMethodName()
                    + " answered something that is not its response message");
        }
    }
}
