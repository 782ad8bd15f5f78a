package ilb.protocols;

import java.util.concurrent.TimeUnit;

/** An entry of ilb's (the HTTP API, the gRPC API) that can stop taking requests and let those in flight finish. */
public interface Drainable {

    /** Takes no new request from now on; those in flight go on. Does not wait. */
    void drain();

    /** Waits until, after {@link #drain()}, every request in flight is over; false if some are not after the timeout. */
    boolean awaitDrained(long timeout, TimeUnit unit) throws InterruptedException;
}
