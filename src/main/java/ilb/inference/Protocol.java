package ilb.inference;

/**
 * The wire a request or a backend speaks. A KServe v2 request is the same request over either: its method and path
 * are KServe's REST ones ({@code POST /v2/models/m/infer}), its body the REST JSON or the gRPC message
 * ({@code ModelInferRequest}), and ilb converts between the two where a client and a backend differ.
 */
public enum Protocol {
    HTTP,
    GRPC;

    /** The value of the {@code protocol} label of meters. */
    public String label() {
        return this == HTTP ? "http" : "grpc";
    }
}
