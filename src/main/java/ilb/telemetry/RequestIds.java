package ilb.telemetry;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * ilb's own ids for requests whose client sent no {@code x-request-id}: this process's random prefix and a count,
 * unique across replicas in practice and cheap to make.
 */
final class RequestIds {

    private static final String PREFIX = Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16) + "-";
    private static final AtomicLong COUNT = new AtomicLong();

    private RequestIds() {
    }

    static String next() {
        return PREFIX + Long.toHexString(COUNT.incrementAndGet());
    }
}
