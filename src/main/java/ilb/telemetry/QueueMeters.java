package ilb.telemetry;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import ilb.balancer.QueueObserver;
import ilb.inference.Priority;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * The pools' queues as Prometheus meters, by pool, priority and tenant: {@code ilb_queue_wait_seconds}, how long
 * requests that had to wait waited (requests served at once are not in it: {@code ilb_requests_total} counts
 * them all), and {@code ilb_queue_shed_total}, the requests answered 503 for want of a backend soon enough, by
 * reason ({@code queue_full}, {@code deadline}, {@code no_capacity}). Meters are made once per label set.
 */
public final class QueueMeters implements QueueObserver {

    private static final Duration[] WAIT_BUCKETS = {Duration.ofMillis(10), Duration.ofMillis(50),
        Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
        Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30)};

    private final MeterRegistry registry;
    private final Map<Labels, Timer> waits = new ConcurrentHashMap<>();
    private final Map<Labels, Counter> sheds = new ConcurrentHashMap<>();

    public QueueMeters(MeterRegistry registry) {
        this.registry = registry;
    }

    /** A label set; {@code reason} is empty for the wait timer. */
    private record Labels(String pool, Priority priority, String tenant, String reason) {
    }

    @Override
    public void waited(String pool, Priority priority, String tenant, long waitedNanos) {
        waits.computeIfAbsent(new Labels(pool, priority, tenant, ""), labels -> Timer.builder("ilb.queue.wait")
                .description("time requests that found every backend of the pool busy waited in its queue")
                .tag("pool", pool).tag("priority", priority.label()).tag("tenant", tenant)
                .serviceLevelObjectives(WAIT_BUCKETS).register(registry))
                .record(waitedNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void shed(String pool, Priority priority, String tenant, Shed reason) {
        sheds.computeIfAbsent(new Labels(pool, priority, tenant, reason.label()), labels -> Counter
                .builder("ilb.queue.shed")
                .description("requests answered 503 without a backend: the queue full, their class's queue deadline "
                        + "passed, or no backend free for a request that never waits (a shadow copy)")
                .tag("pool", pool).tag("priority", priority.label()).tag("tenant", tenant)
                .tag("reason", labels.reason()).register(registry)).increment();
    }
}
