package ilb.bench;

import java.util.function.Consumer;

/**
 * Sends one request of a load, made ready before it is due: over HTTP ({@link LoadClient}) or gRPC
 * ({@link GrpcLoadClient}).
 */
@FunctionalInterface
interface Sender {

    /** Sends it now; {@code done} gets its sample, timed from {@code intendedNanos}, whatever happens. */
    void send(long intendedNanos, Consumer<Sample> done);
}
