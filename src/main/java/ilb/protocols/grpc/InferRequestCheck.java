package ilb.protocols.grpc;

/** What every server needs of a gRPC {@code ModelInferRequest}, checked before ilb routes it. */
public final class InferRequestCheck {

    private InferRequestCheck() {
    }

    /**
     * Why a {@code ModelInferRequest} is not one a server can run (not a message; no inputs; an input without a
     * name, a datatype or a shape, or with a negative dimension; raw contents not one per input; typed contents
     * and raw contents both), or null when it is. The contents are not checked against the shapes: servers do.
     */
    public static String malformed(byte[] modelInferRequest) {
        throw new UnsupportedOperationException("TODO(door)");
    }
}
