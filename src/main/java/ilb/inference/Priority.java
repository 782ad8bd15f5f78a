package ilb.inference;

/** Who waits for a request: interactive traffic (HTTP, gRPC) comes first, batch jobs take what it leaves free. */
public enum Priority {
    INTERACTIVE,
    /** Sent only to a backend with room to spare for interactive requests; never queued in a pool. */
    BATCH
}
