package ilb.admission;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

import io.netty.channel.EventLoop;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tenants' limits counted for all replicas at once on Redis ({@code ilb.limits.redis}): each admission is one call
 * of an atomic script ({@code redis-limits.lua}: {@link MinuteBucket}'s arithmetic on Redis' clock, and the places
 * held), over one pipelined {@link RedisConnection}. When Redis is out of reach (refused, no answer within the
 * timeout, an error, an answer ilb cannot read), each replica counts its share on {@link LocalLimits} ({@code 1/n} of
 * each limit, {@code n} the replicas Redis last counted), says so once, and counts on Redis again once it answers.
 *
 * <p>Redis counts a tenant's places per replica, and only those of replicas heard of in the last 30 s (each beats
 * every {@code beatMillis}), so a replica that dies gives its places back. {@link #settle} names no request: each
 * replica keeps, per tenant, where its admitted requests took their places (on Redis or here), oldest first, and
 * settles the oldest there. A call whose fate is unknown (no answer, connection lost) may have taken a place: back
 * from counting here, the first beat sets this replica's places on Redis to what it holds.
 */
public final class RedisLimits extends ServiceSupport implements LimitStore, RedisConnection.Listener {

    /** How often a replica tells Redis it is alive: a third of the 30 s after which the script takes it for gone. */
    public static final long BEAT_MILLIS = 10_000;

    private static final Logger LOG = LoggerFactory.getLogger(RedisLimits.class);
    private static final String SCRIPT = script();
    private static final String SHA = HexFormat.of().formatHex(sha1(SCRIPT));
    private static final String REPLICAS = "ilb:replicas";
    private static final Verdict UNLIMITED = new Verdict(true, null, 0, null, null);

    private enum State { STARTING, SHARED, LOCAL }

    private final RedisConnection connection;
    private final long beatMillis;
    private final LocalLimits local;
    private final LongSupplier clock;
    private final String replica = UUID.randomUUID().toString();
    private final Map<String, Leases> leases = new ConcurrentHashMap<>();
    /** Acquisitions sent to Redis and not answered yet. */
    private final AtomicInteger acquiring = new AtomicInteger();
    private volatile State state = State.STARTING;
    private volatile long replicas = 1;
    private ScheduledFuture<?> beats;

    /**
     * @param local the limits counted while Redis is out of reach
     * @param clock the milliseconds the script counts by: null for Redis' own, as ilb runs (tests give theirs)
     */
    public RedisLimits(RedisConnection.Address address, EventLoop loop, long timeoutMillis, long beatMillis,
            LocalLimits local, LongSupplier clock) {
        this.connection = new RedisConnection(address, loop, timeoutMillis, this);
        this.beatMillis = beatMillis;
        this.local = local;
        this.clock = clock;
    }

    /** Whether the limits are counted on Redis now, for all replicas (else each replica counts its share). */
    public boolean shared() {
        return state == State.SHARED;
    }

    /** The replicas sharing the limits, as Redis last counted them (1 before it did). */
    public long replicas() {
        return replicas;
    }

    @Override
    protected void doStart() {
        connection.connect();
        beats = connection.loop().scheduleWithFixedDelay(this::beat, beatMillis, beatMillis, TimeUnit.MILLISECONDS);
    }

    @Override
    protected void doStop() {
        if (beats != null) {
            beats.cancel(false);
        }
        connection.close();
    }

    @Override
    public CompletionStage<Verdict> acquire(Tenant tenant, long tokens) {
        Quota quota = tenant.quota();
        if (!quota.any()) {
            return CompletableFuture.completedFuture(UNLIMITED);
        }
        if (state != State.SHARED) {
            return CompletableFuture.completedFuture(locally(tenant, tokens));
        }
        acquiring.incrementAndGet();
        return call(keys(tenant), "acquire", Long.toString(quota.requestsPerMinute()),
                Long.toString(quota.tokensPerMinute()), Integer.toString(quota.maxConcurrent()), Long.toString(tokens))
                .handle((reply, failure) -> {
                    try {
                        return failure == null ? verdict(tenant, tokens, reply) : fallBack(tenant, tokens, failure);
                    } finally {
                        acquiring.decrementAndGet();
                    }
                });
    }

    @Override
    public void settle(Tenant tenant, long tokenCorrection, boolean requestBack) {
        Leases held = tenant.quota().any() ? leases.get(tenant.name()) : null;
        if (held == null) {
            return;
        }
        // on the connection's loop, as the beats: a beat's count of this replica's places and the settles around it
        // reach Redis in the order they were counted
        connection.loop().execute(() -> {
            Boolean onRedis = held.release();
            if (Boolean.FALSE.equals(onRedis)) {
                local.settle(tenant, tokenCorrection, requestBack);
            } else if (Boolean.TRUE.equals(onRedis)) {
                Quota quota = tenant.quota();
                call(keys(tenant), "settle", Long.toString(quota.tokensPerMinute()), Long.toString(tokenCorrection),
                        Integer.toString(quota.maxConcurrent()), Long.toString(quota.requestsPerMinute()),
                        requestBack ? "1" : "0").whenComplete((reply, failure) -> {
                            if (failure != null) {
                                unreachable(failure);
                            }
                        });
            }
        });
    }

    @Override
    public void connected() {
        beat();
    }

    @Override
    public void lost(Throwable why) {
        unreachable(why);
    }

    private Verdict verdict(Tenant tenant, long tokens, Object reply) {
        Verdict verdict;
        try {
            verdict = read(tenant.quota(), tokens, reply);
        } catch (RuntimeException unreadable) {
            return fallBack(tenant, tokens, new IllegalStateException("an answer ilb cannot read: " + reply));
        }
        if (verdict.admitted()) {
            leases(tenant).add(true);
        }
        return verdict;
    }

    /** The script's answer: admitted, the limit exceeded, the buckets' levels after it, the replicas alive. */
    private Verdict read(Quota quota, long tokens, Object reply) {
        List<?> answer = (List<?>) reply;
        if (answer.size() != 5) {
            throw new IllegalStateException();
        }
        boolean admitted = (Long) answer.get(0) == 1;
        MinuteBucket requests = bucket((String) answer.get(2));
        MinuteBucket tokenBucket = bucket((String) answer.get(3));
        String exceeded = admitted ? null : (String) answer.get(1);
        long retry = exceeded == null ? 0 : switch (exceeded) {
            case "requests" -> requests.waitMillis(quota.requestsPerMinute(), 1);
            case "tokens" -> tokenBucket.waitMillis(quota.tokensPerMinute(), tokens);
            case "concurrency" -> LocalLimits.CONCURRENCY_RETRY_MILLIS;
            default -> throw new IllegalStateException();
        };
        replicas = (Long) answer.get(4);
        return new Verdict(admitted, exceeded, retry,
                requests == null ? null : requests.window(quota.requestsPerMinute()),
                tokenBucket == null ? null : tokenBucket.window(quota.tokensPerMinute()));
    }

    private static MinuteBucket bucket(String level) {
        return level.isEmpty() ? null : new MinuteBucket(Double.parseDouble(level), 0);
    }

    private Verdict fallBack(Tenant tenant, long tokens, Throwable failure) {
        unreachable(failure);
        return locally(tenant, tokens);
    }

    private Verdict locally(Tenant tenant, long tokens) {
        Verdict verdict = local.acquireNow(tenant, tokens);
        if (verdict.admitted()) {
            leases(tenant).add(false);
        }
        return verdict;
    }

    /**
     * Says this replica is alive and keeps its places from expiring; back from counting here, sets them to what it
     * holds (the count Redis has may have missed calls whose answers were lost) and counts on Redis again.
     */
    private void beat() {
        boolean exact = state != State.SHARED;
        if (!connection.isReady() || exact && acquiring.get() > 0) {
            return; // the connection says when it is lost; an exact count would overtake acquisitions under way
        }
        List<String> keys = new ArrayList<>(List.of(REPLICAS));
        List<String> places = new ArrayList<>(List.of(exact ? "1" : "0"));
        for (Leases held : leases.values()) {
            int count = held.heldOnRedis();
            if (held.tenant.quota().maxConcurrent() > 0 && (exact || count > 0)) {
                keys.add(key(held.tenant, "inflight"));
                places.add(Integer.toString(count));
            }
        }
        call(keys, "beat", places.toArray(String[]::new)).whenComplete((reply, failure) -> {
            if (failure != null) {
                unreachable(failure);
            } else if (!(reply instanceof Long alive)) {
                unreachable(new IllegalStateException("an answer ilb cannot read: " + reply));
            } else {
                replicas = alive;
                if (exact) {
                    counted(alive);
                }
            }
        });
    }

    private void counted(long alive) {
        State was;
        synchronized (this) {
            was = state;
            state = State.SHARED;
        }
        if (was == State.STARTING) {
            LOG.info("limits: counted on Redis at {} for all replicas ({} now)", connection.address(), alive);
        } else if (was == State.LOCAL) {
            LOG.info("limits: Redis at {} answers again: counting for all replicas ({} now)", connection.address(),
                    alive);
        }
    }

    private void unreachable(Throwable why) {
        long share = replicas;
        synchronized (this) {
            if (state == State.LOCAL || isStoppingOrStopped()) {
                return;
            }
            local.share(1.0 / share);
            state = State.LOCAL;
        }
        Throwable cause = unwrapped(why);
        LOG.warn("limits: Redis at {} unreachable ({}): counting on this replica, 1/{} of each limit",
                connection.address(), cause.getMessage() != null ? cause.getMessage() : cause.getClass().getName(),
                share);
    }

    private static Throwable unwrapped(Throwable failure) {
        return failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    }

    /** Runs the script: by its digest, or by its text when Redis does not have it (started again, flushed). */
    private CompletableFuture<Object> call(List<String> keys, String mode, String... rest) {
        List<String> args = new ArrayList<>(List.of(mode, clock == null ? "" : Long.toString(clock.getAsLong()),
                replica));
        args.addAll(List.of(rest));
        return connection.send(command("EVALSHA", SHA, keys, args)).exceptionallyCompose(failure -> {
            Throwable cause = unwrapped(failure);
            return cause instanceof RedisConnection.ErrorReply && cause.getMessage().startsWith("NOSCRIPT")
                    ? connection.send(command("EVAL", SCRIPT, keys, args)) : CompletableFuture.failedFuture(cause);
        });
    }

    private static String[] command(String name, String script, List<String> keys, List<String> args) {
        List<String> command = new ArrayList<>(3 + keys.size() + args.size());
        command.add(name);
        command.add(script);
        command.add(Integer.toString(keys.size()));
        command.addAll(keys);
        command.addAll(args);
        return command.toArray(String[]::new);
    }

    private static List<String> keys(Tenant tenant) {
        return List.of(REPLICAS, key(tenant, "requests"), key(tenant, "tokens"), key(tenant, "inflight"));
    }

    private static String key(Tenant tenant, String what) {
        return "ilb:limits:" + tenant.name() + ":" + what;
    }

    private Leases leases(Tenant tenant) {
        return leases.computeIfAbsent(tenant.name(), name -> new Leases(tenant));
    }

    /** This replica's admitted requests of one tenant, oldest first: whether each took its place on Redis. */
    private static final class Leases {
        final Tenant tenant;
        private final ArrayDeque<Boolean> onRedis = new ArrayDeque<>();
        private int heldOnRedis;

        Leases(Tenant tenant) {
            this.tenant = tenant;
        }

        synchronized void add(boolean redis) {
            onRedis.add(redis);
            if (redis) {
                heldOnRedis++;
            }
        }

        /** Where the oldest took its place; null when none is held. */
        synchronized Boolean release() {
            Boolean redis = onRedis.poll();
            if (Boolean.TRUE.equals(redis)) {
                heldOnRedis--;
            }
            return redis;
        }

        synchronized int heldOnRedis() {
            return heldOnRedis;
        }
    }

    private static String script() {
        try (InputStream in = RedisLimits.class.getResourceAsStream("redis-limits.lua")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] sha1(String text) {
        try {
            return MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
