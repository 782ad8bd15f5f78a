package ilb.telemetry;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

import ilb.admission.RedisLimits;
import ilb.backend.Backend;
import ilb.backend.BackendComponent;
import ilb.backend.CapacitySource;
import ilb.balancer.InferenceLoadBalancer;
import ilb.balancer.PoolListener;
import ilb.batch.BatchIntake;
import ilb.batch.ConsumerLag;
import ilb.protocols.HttpEdge;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;

/**
 * ilb's own state as meters, read when Prometheus scrapes {@code /observe/metrics}: nothing is counted on the
 * request path for them. Names follow Prometheus' conventions once Micrometer renders them ({@code ilb_} prefix,
 * {@code _total} counters).
 */
public final class IlbMeters {

    private IlbMeters() {
    }

    /**
     * The labels of a backend's meters: {@code backend} (its id) and {@code protocol}, the wire it speaks
     * ({@link ilb.inference.Protocol#label()}).
     */
    static Tags tags(Backend backend) {
        return Tags.of("backend", backend.id(), "protocol", backend.settings().protocol().label());
    }

    /**
     * A backend's live state, labelled as {@link #tags(Backend)} says when the backend is first known (a reload that
     * changes its protocol leaves these labels as they were).
     */
    public static void backend(MeterRegistry registry, Backend backend) {
        gauge(registry, "ilb.backend.in.flight", "requests sent to the backend and not yet answered", backend,
                b -> b.inFlight());
        Tags labels = tags(backend);
        capacity(registry, backend, labels);
        backend.onCapacitySetting(() -> capacity(registry, backend, labels));
        gauge(registry, "ilb.backend.weight", "the backend's share relative to its tier", backend,
                b -> b.settings().weight());
        gauge(registry, "ilb.backend.up", "1 while active health checks find the backend up", backend,
                b -> b.isDown() ? 0 : 1);
        gauge(registry, "ilb.backend.ejected", "1 while the backend is ejected for failing requests in a row",
                backend, b -> b.isEjected() ? 1 : 0);
        gauge(registry, "ilb.backend.drained", "1 while an operator has the backend drained", backend,
                b -> b.isDrained() ? 1 : 0);
        gauge(registry, "ilb.backend.tier", "the backend's tier: lower tiers are used first", backend,
                b -> b.settings().tier());
        gauge(registry, "ilb.backend.queue.waiting", "requests waiting in the backend's own queue, by its metrics",
                backend, b -> b.telemetry(System.nanoTime()).waiting());
        for (CircuitBreaker.State state : new CircuitBreaker.State[] {CircuitBreaker.State.CLOSED,
            CircuitBreaker.State.HALF_OPEN, CircuitBreaker.State.OPEN}) {
            Gauge.builder("ilb.backend.breaker.state", backend, b -> b.breaker().getState() == state ? 1 : 0)
                    .description("1 for the state the backend's circuit breaker is in")
                    .tags(tags(backend)).tag("state", state.name().toLowerCase())
                    .register(registry);
        }
    }

    /** DNS lookups of {@code dns://} and {@code srv://} backend urls, by outcome: a failing one keeps the last answer. */
    public static void dnsLookups(MeterRegistry registry, BackendComponent backends) {
        for (boolean failed : new boolean[] {false, true}) {
            FunctionCounter.builder("ilb.dns.lookups", backends, b -> b.dnsLookups(failed))
                    .description("DNS lookups of the backend urls that name a service (dns://, srv://); a failed one"
                            + " keeps the servers of the last answer")
                    .tag("outcome", failed ? "failed" : "answered").register(registry);
        }
    }

    /**
     * Removes every meter of a backend that is gone (its server left the DNS answer it came from), so that servers
     * coming and going leave no series behind.
     */
    public static void backendGone(MeterRegistry registry, Backend backend) {
        List.copyOf(registry.getMeters()).stream()
                .filter(meter -> backend.id().equals(meter.getId().getTag("backend")))
                .forEach(registry::remove);
    }

    /**
     * The backend's concurrency limit, labelled {@code source} ({@code configured} or {@code learned}): one series
     * per backend, under the source it has now. A reload that writes or removes its {@code capacity} replaces the
     * series, so that no stale one is left to read.
     */
    private static void capacity(MeterRegistry registry, Backend backend, Tags labels) {
        for (CapacitySource source : CapacitySource.values()) {
            Tags tags = labels.and("source", source.label());
            if (source == backend.capacitySource()) {
                Gauge.builder("ilb.backend.capacity", backend, Backend::capacity)
                        .description("most requests the backend may have in flight: written in its route file, or"
                                + " learned").tags(tags).register(registry);
            } else {
                Meter stale = registry.find("ilb.backend.capacity").tags(tags).gauge();
                if (stale != null) {
                    registry.remove(stale);
                }
            }
        }
    }

    /**
     * Each pool's queue and saturation, labelled {@code pool} (its route id) and {@code stage}, while its balancer
     * runs: a reloaded route's new balancer takes the old one's place.
     *
     * @param stageOf the stage of a pool, by its route id
     */
    public static PoolListener pools(MeterRegistry registry, Function<String, String> stageOf) {
        Map<InferenceLoadBalancer, List<Meter>> meters = new ConcurrentHashMap<>();
        return new PoolListener() {
            @Override
            public void started(String pool, InferenceLoadBalancer balancer) {
                Tags tags = Tags.of("pool", pool, "stage", stageOf.apply(pool));
                meters.put(balancer, List.of(
                        Gauge.builder("ilb.pool.queued", balancer, InferenceLoadBalancer::queued)
                                .description("requests waiting for a backend of the pool").tags(tags)
                                .register(registry),
                        Gauge.builder("ilb.pool.saturation", balancer, InferenceLoadBalancer::saturation)
                                .description("requests in flight and waiting (at ilb and in the servers' own queues) over the "
                                        + "capacity of the backends in rotation, 0 to 1")
                                .tags(tags).register(registry),
                        Gauge.builder("ilb.pool.backends.in.rotation", balancer,
                                        InferenceLoadBalancer::backendsInRotation)
                                .description("backends of the pool that are up, not ejected, not drained and "
                                        + "whose breaker is not open").tags(tags).register(registry)));
            }

            @Override
            public void stopped(String pool, InferenceLoadBalancer balancer) {
                List<Meter> gone = meters.remove(balancer);
                if (gone != null) {
                    gone.forEach(registry::remove);
                }
            }
        };
    }

    /** The inference API's connections, and the request bytes they hold against {@code ilb.http.maxBufferedBytes}. */
    public static void edge(MeterRegistry registry, HttpEdge edge) {
        Gauge.builder("ilb.http.connections", edge, HttpEdge::connections)
                .description("client connections open to the inference API").register(registry);
        Gauge.builder("ilb.http.buffered.bytes", edge, HttpEdge::bufferedBytes)
                .description("request bytes held now, gathered or in flight (at most ilb.http.maxBufferedBytes)")
                .register(registry);
    }

    /** The batch consumer's progress. */
    public static void batch(MeterRegistry registry, BatchIntake intake) {
        counter(registry, "ilb.batch.results", "batch jobs whose result is on Kafka", intake, BatchIntake::results);
        counter(registry, "ilb.batch.dead.letters", "batch jobs sent to the dead-letter topic", intake,
                BatchIntake::deadLetters);
        counter(registry, "ilb.batch.retries", "tries of failed batch jobs made again", intake, BatchIntake::retries);
        counter(registry, "ilb.batch.deferrals", "batch jobs turned away for want of spare capacity", intake,
                BatchIntake::deferrals);
        counter(registry, "ilb.batch.dead.letters.refused", "dead letters Kafka refused (e.g. over the topic's"
                + " max.message.bytes): their jobs are held, not committed, and written again", intake,
                BatchIntake::deadLettersRefused);
        Gauge.builder("ilb.batch.in.flight", intake, BatchIntake::inFlight)
                .description("batch jobs running now").register(registry);
        Gauge.builder("ilb.batch.concurrency.limit", intake, BatchIntake::limit)
                .description("how many batch jobs may run at once now (adapts to spare capacity)").register(registry);
    }

    /** Batch jobs waiting on Kafka, per requests topic: what to scale batch capacity by. */
    public static void consumerLag(MeterRegistry registry, ConsumerLag lag) {
        for (String topic : lag.topics()) {
            Gauge.builder("ilb.batch.consumer.lag.records", lag, l -> {
                long records = l.lag(topic);
                return records < 0 ? Double.NaN : records;
            }).description("batch jobs on Kafka after the consumer group's committed offset (NaN while unknown)")
                    .tag("topic", topic).register(registry);
        }
    }

    /** Whether tenants' limits are counted on Redis for all replicas ({@code ilb.limits.redis}). */
    public static void redisLimits(MeterRegistry registry, RedisLimits limits) {
        Gauge.builder("ilb.limits.redis.connected", limits, l -> l.shared() ? 1 : 0)
                .description("1 while tenants' limits are counted on Redis for all replicas, 0 while Redis is out of"
                        + " reach and this replica counts its share of each limit alone").register(registry);
    }

    private static void gauge(MeterRegistry registry, String name, String description, Backend backend,
            ToDoubleFunction<Backend> value) {
        Gauge.builder(name, backend, value).description(description).tags(tags(backend)).register(registry);
    }

    private static void counter(MeterRegistry registry, String name, String description, BatchIntake intake,
            ToDoubleFunction<BatchIntake> value) {
        FunctionCounter.builder(name, intake, value).description(description).register(registry);
    }
}
