package ilb.protocols.grpc;

import io.grpc.MethodDescriptor;
import ilb.protocols.grpc.v2.GRPCInferenceServiceGrpc;

/**
 * The calls of KServe v2's {@code inference.GRPCInferenceService}, each with the REST request it stands for. Inside
 * ilb a KServe request is its REST method and path whatever wire it came on (the path names the model and version
 * and the balancer routes on it); only the body differs ({@link ilb.inference.Protocol}). So a gRPC backend is sent
 * the call a REST path names, and a REST backend the path a gRPC call names.
 */
public enum KServeRpc {
    SERVER_LIVE(GRPCInferenceServiceGrpc.getServerLiveMethod(), "GET"),
    SERVER_READY(GRPCInferenceServiceGrpc.getServerReadyMethod(), "GET"),
    SERVER_METADATA(GRPCInferenceServiceGrpc.getServerMetadataMethod(), "GET"),
    MODEL_READY(GRPCInferenceServiceGrpc.getModelReadyMethod(), "GET"),
    MODEL_METADATA(GRPCInferenceServiceGrpc.getModelMetadataMethod(), "GET"),
    MODEL_INFER(GRPCInferenceServiceGrpc.getModelInferMethod(), "POST");

    private final MethodDescriptor<?, ?> method;
    private final String httpMethod;

    KServeRpc(MethodDescriptor<?, ?> method, String httpMethod) {
        this.method = method;
        this.httpMethod = httpMethod;
    }

    /** The generated descriptor of the call (its full name, its messages' marshallers). */
    public MethodDescriptor<?, ?> method() {
        return method;
    }

    /** The REST method of the request the call stands for. */
    public String httpMethod() {
        return httpMethod;
    }

    /** Whether its request names a model (and maybe a version), as fields 1 and 2; server calls name none. */
    public boolean namesModel() {
        return switch (this) {
            case MODEL_READY, MODEL_METADATA, MODEL_INFER -> true;
            case SERVER_LIVE, SERVER_READY, SERVER_METADATA -> false;
        };
    }

    /**
     * The REST path of the request the call stands for: {@code /v2/health/live}, {@code /v2/health/ready},
     * {@code /v2}, or {@code /v2/models/<model>[/versions/<version>][/ready|/infer]}.
     *
     * @param version null or empty for none (gRPC's empty string)
     */
    public String path(String model, String version) {
        return switch (this) {
            case SERVER_LIVE -> "/v2/health/live";
            case SERVER_READY -> "/v2/health/ready";
            case SERVER_METADATA -> "/v2";
            case MODEL_READY, MODEL_METADATA, MODEL_INFER -> "/v2/models/" + model
                    + (version == null || version.isEmpty() ? "" : "/versions/" + version)
                    + (this == MODEL_READY ? "/ready" : this == MODEL_INFER ? "/infer" : "");
        };
    }

    /**
     * The call a REST request stands for, or null for a path no call of the service answers. The path may end in
     * a query, which is ignored.
     */
    public static KServeRpc of(String httpMethod, String path) {
        int query = path.indexOf('?');
        String rawPath = query < 0 ? path : path.substring(0, query);
        switch (rawPath) {
            case "/v2/health/live":
                return httpMethod.equals("GET") ? SERVER_LIVE : null;
            case "/v2/health/ready":
                return httpMethod.equals("GET") ? SERVER_READY : null;
            case "/v2":
                return httpMethod.equals("GET") ? SERVER_METADATA : null;
            default:
                break;
        }
        if (!rawPath.startsWith("/v2/models/")) {
            return null;
        }
        String[] parts = rawPath.substring("/v2/models/".length()).split("/", -1);
        // {model} [versions {version}] [ready|infer]
        int rest = parts.length >= 3 && parts[1].equals("versions") ? 3 : 1;
        if (parts[0].isEmpty() || parts.length > rest + 1) {
            return null;
        }
        String action = parts.length == rest ? "" : parts[rest];
        return switch (action) {
            case "" -> httpMethod.equals("GET") ? MODEL_METADATA : null;
            case "ready" -> httpMethod.equals("GET") ? MODEL_READY : null;
            case "infer" -> httpMethod.equals("POST") ? MODEL_INFER : null;
            default -> null;
        };
    }
}
