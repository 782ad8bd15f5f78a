package ilb.admission;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import ilb.Appliance;
import ilb.RedisServer;
import ilb.Servers;
import ilb.admission.LimitStore.Verdict;
import ilb.inference.Priority;
import ilb.telemetry.IlbMeters;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import org.apache.camel.component.micrometer.MicrometerConstants;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import static ilb.PoolRoute.backend;
import static ilb.PoolRoute.pool;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Tenants' limits counted on a real Redis for several replicas, and what each replica does when Redis fails. */
class RedisLimitsTest {

    private static final EventLoopGroup LOOPS = new NioEventLoopGroup(2);
    private static final long TIMEOUT_MILLIS = 200;

    private final List<AutoCloseable> started = new ArrayList<>();
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private RedisServer redis;

    @BeforeEach
    void start() {
        log.start();
        ((Logger) LoggerFactory.getLogger(RedisLimits.class)).addAppender(log);
        redis = RedisServer.start();
        started.add(redis);
    }

    @AfterEach
    void stop() throws Exception {
        for (int i = started.size() - 1; i >= 0; i--) {
            started.get(i).close();
        }
        ((Logger) LoggerFactory.getLogger(RedisLimits.class)).detachAppender(log);
    }

    @AfterAll
    static void stopLoops() {
        LOOPS.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    @Test
    void givesTheVerdictsOfLocalLimits() throws Exception {
        // one clock for the script and the reference: refills are the same to the bit
        AtomicLong now = new AtomicLong(1_700_000_000_000L);
        RedisLimits shared = shared(redis.url(), now::get, new LocalLimits(now::get));
        LocalLimits reference = new LocalLimits(now::get);
        Tenant tenant = tenant("a", new Quota(5, 1000, 2));
        List<String> outcomes = new ArrayList<>();

        outcomes.add(compare(shared, reference, tenant, 300));
        outcomes.add(compare(shared, reference, tenant, 300));
        outcomes.add(compare(shared, reference, tenant, 100)); // both places held
        settle(shared, reference, tenant, 200); // used 500 of the 300 estimated: 200 tokens left
        outcomes.add(compare(shared, reference, tenant, 300));
        now.addAndGet(6_000); // a tenth of a minute: 100 tokens and half a request more
        outcomes.add(compare(shared, reference, tenant, 300));
        settle(shared, reference, tenant, -300); // failed: its tokens back
        settle(shared, reference, tenant, 0);
        outcomes.add(compare(shared, reference, tenant, 2000)); // more than the limit: only from a full bucket
        now.addAndGet(60_000);
        outcomes.add(compare(shared, reference, tenant, 2000)); // full: taken, 1000 in debt
        outcomes.add(compare(shared, reference, tenant, 1)); // the debt is paid first
        Tenant requestsOnly = tenant("b", new Quota(2, 0, 0));
        for (int i = 0; i < 3; i++) {
            outcomes.add(compare(shared, reference, requestsOnly, 10));
        }
        // answered by ilb without a backend: the request is given back, and the next is admitted
        settle(shared, reference, requestsOnly, 0, true);
        outcomes.add(compare(shared, reference, requestsOnly, 10));
        outcomes.add(compare(shared, reference, Tenant.ANYONE, 10));

        assertThat(outcomes).containsExactly("admitted", "admitted", "concurrency", "tokens", "admitted", "tokens",
                "admitted", "tokens", "admitted", "admitted", "requests", "admitted", "admitted");
        assertThat(shared.shared()).isTrue();
        assertThat(lines(Level.WARN)).isEmpty();
    }

    @Test
    void twoReplicasAdmitATenantsRequestsPerMinuteBetweenThem() throws Exception {
        RedisLimits a = shared(redis.url(), null, new LocalLimits(System::currentTimeMillis));
        RedisLimits b = shared(redis.url(), null, new LocalLimits(System::currentTimeMillis));
        Tenant tenant = tenant("c", new Quota(20, 0, 0));

        long began = System.nanoTime();
        List<CompletableFuture<Verdict>> verdicts = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            verdicts.add((i % 2 == 0 ? a : b).acquire(tenant, 1).toCompletableFuture());
        }
        CompletableFuture.allOf(verdicts.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
        long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began) + 1;

        List<Verdict> all = verdicts.stream().map(CompletableFuture::join).toList();
        long admitted = all.stream().filter(Verdict::admitted).count();
        // Redis' clock refills 20 a minute while the test runs: at most that many more
        assertThat(admitted).isBetween(20L, 20 + (long) Math.ceil(elapsedMillis * 20 / 60_000.0));
        assertThat(all.stream().filter(v -> !v.admitted()).map(Verdict::exceeded)).containsOnly("requests")
                .hasSize(40 - (int) admitted);
        assertThat(a.replicas()).isEqualTo(2);
        assertThat(a.shared() && b.shared()).isTrue();
    }

    @Test
    void twoReplicasHoldATenantsMaxConcurrentBetweenThemUntilOneDies() throws Exception {
        AtomicLong now = new AtomicLong(1_700_000_000_000L);
        RedisLimits a = shared(redis.url(), now::get, new LocalLimits(now::get));
        RedisLimits b = shared(redis.url(), now::get, new LocalLimits(now::get));
        Tenant tenant = tenant("d", new Quota(0, 0, 3));

        List<String> outcomes = new ArrayList<>();
        for (RedisLimits replica : List.of(a, a, b, b, a)) {
            outcomes.add(outcome(replica.acquire(tenant, 0).toCompletableFuture().get()));
        }
        a.settle(tenant, 0, false);
        answered(a);
        outcomes.add(outcome(b.acquire(tenant, 0).toCompletableFuture().get()));
        outcomes.add(outcome(b.acquire(tenant, 0).toCompletableFuture().get()));
        assertThat(outcomes).containsExactly("admitted", "admitted", "admitted", "concurrency", "concurrency",
                "admitted", "concurrency");

        // a dies holding a place: once it has been silent 30 s, its place is free
        a.stop();
        now.addAndGet(30_001);
        assertThat(outcome(b.acquire(tenant, 0).toCompletableFuture().get())).isEqualTo("admitted");
        assertThat(outcome(b.acquire(tenant, 0).toCompletableFuture().get())).isEqualTo("concurrency");
        assertThat(b.replicas()).isEqualTo(1);
    }

    @Test
    void redisKilledLeavesEachReplicaItsShareUntilItIsBack() throws Exception {
        AtomicLong localNow = new AtomicLong(1_700_000_000_000L);
        RedisLimits a = shared(redis.url(), null, new LocalLimits(localNow::get));
        RedisLimits b = shared(redis.url(), null, new LocalLimits(localNow::get));
        MeterRegistry meters = new SimpleMeterRegistry();
        IlbMeters.redisLimits(meters, a);
        Tenant tenant = tenant("e", new Quota(10, 0, 0));
        assertThat(a.acquire(tenant, 1).toCompletableFuture().get().admitted()).isTrue();
        assertThat(b.acquire(tenant, 1).toCompletableFuture().get().admitted()).isTrue();
        await().until(() -> a.replicas() == 2);
        assertThat(connected(meters)).isEqualTo(1);
        b.stop();
        log.list.clear();

        redis.kill();
        await().until(() -> connected(meters) == 0);
        List<Verdict> verdicts = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            CompletableFuture<Verdict> verdict = a.acquire(tenant, 1).toCompletableFuture();
            assertThat(verdict).isDone(); // answered here, at once
            verdicts.add(verdict.get());
        }
        // half of 10 for each of the two replicas Redis last counted
        assertThat(verdicts).extracting(Verdict::exceeded)
                .containsExactly(null, null, null, null, null, "requests");
        assertThat(verdicts.get(5).requests().limit()).isEqualTo(5);
        assertThat(lines(Level.WARN)).hasSize(1).first().asString()
                .contains("unreachable", "counting on this replica, 1/2 of each limit");

        redis.restart();
        await().until(() -> connected(meters) == 1);
        Verdict back = a.acquire(tenant, 1).toCompletableFuture().get();
        assertThat(back.admitted()).isTrue();
        assertThat(back.requests()).extracting(LimitStore.Window::limit, LimitStore.Window::remaining)
                .containsExactly(10L, 9L); // counted on the new Redis: empty, so full
        assertThat(lines(Level.INFO)).hasSize(1).first().asString().contains("answers again");
        assertThat(lines(Level.WARN)).hasSize(1);
    }

    @Test
    void aRedisThatStopsAnsweringCostsAtMostTheTimeout() throws Exception {
        AtomicLong localNow = new AtomicLong(1_700_000_000_000L);
        RedisLimits limits = shared(redis.url(), null, new LocalLimits(localNow::get));
        Tenant tenant = tenant("f", new Quota(10, 0, 0));
        log.list.clear();

        redis.pause();
        try {
            // answered here once the command times out, not when Redis wakes
            Verdict verdict = limits.acquire(tenant, 1).toCompletableFuture().get(10, TimeUnit.SECONDS);
            assertThat(verdict.admitted()).isTrue();
            assertThat(limits.shared()).isFalse();
            assertThat(lines(Level.WARN)).hasSize(1).first().asString()
                    .contains("no answer within " + TIMEOUT_MILLIS + " ms", "1/1 of each limit");
        } finally {
            redis.resume();
        }
        await().until(limits::shared);
        assertThat(lines(Level.INFO)).hasSize(1).first().asString().contains("answers again");
    }

    @Test
    void anErrorAnswerIsCountedHereAndRedisIsUsedAgainOnceItAnswers() throws Exception {
        AtomicLong localNow = new AtomicLong(1_700_000_000_000L);
        RedisLimits limits = shared(redis.url(), null, new LocalLimits(localNow::get));
        Tenant tenant = tenant("g", new Quota(10, 0, 0));
        log.list.clear();
        redis.command("SET", "ilb:limits:g:requests", "not a hash");

        Verdict verdict = limits.acquire(tenant, 1).toCompletableFuture().get();
        assertThat(verdict.admitted()).isTrue();
        assertThat(lines(Level.WARN)).hasSize(1).first().asString().contains("WRONGTYPE");
        assertThat(redis.command("GET", "ilb:limits:g:requests")).isEqualTo("not a hash"); // the script wrote nothing

        redis.command("DEL", "ilb:limits:g:requests");
        await().until(limits::shared);
        assertThat(limits.acquire(tenant, 1).toCompletableFuture().get().admitted()).isTrue();
        assertThat(redis.command("HGET", "ilb:limits:g:requests", "level")).isEqualTo("9");
        assertThat(lines(Level.INFO)).hasSize(1);
        assertThat(lines(Level.WARN)).hasSize(1);
    }

    @Test
    void aFlushedScriptIsSentAgain() throws Exception {
        RedisLimits limits = shared(redis.url(), null, new LocalLimits(System::currentTimeMillis));
        Tenant tenant = tenant("h", new Quota(0, 0, 5));
        assertThat(limits.acquire(tenant, 1).toCompletableFuture().get().admitted()).isTrue();

        assertThat(redis.command("SCRIPT", "FLUSH")).isEqualTo("OK");
        assertThat(limits.acquire(tenant, 1).toCompletableFuture().get().admitted()).isTrue();
        // the second place is on Redis, beside the first
        assertThat(redis.command("HVALS", "ilb:limits:h:inflight")).isEqualTo("2");
        assertThat(limits.shared()).isTrue();
        assertThat(lines(Level.WARN)).isEmpty();
    }

    @Test
    void aPlaceSettledWhileRedisIsDownIsGivenBackThereOnceItIsBack() throws Exception {
        AtomicLong localNow = new AtomicLong(1_700_000_000_000L);
        RedisLimits limits = shared(redis.url(), null, new LocalLimits(localNow::get));
        Tenant tenant = tenant("i", new Quota(0, 0, 1));
        assertThat(limits.acquire(tenant, 1).toCompletableFuture().get().admitted()).isTrue(); // on Redis

        redis.kill();
        await().until(() -> !limits.shared());
        // here, where the place held on Redis is not known: one more may go
        assertThat(limits.acquire(tenant, 1).toCompletableFuture().get().admitted()).isTrue();
        limits.settle(tenant, 0, false); // the oldest, Redis' place: given back there once Redis is back
        redis.restart();
        await().until(limits::shared);
        // the place taken here is still held here; Redis holds none of this replica's
        assertThat(redis.command("HLEN", "ilb:limits:i:inflight")).isEqualTo("0");
        assertThat(limits.acquire(tenant, 1).toCompletableFuture().get().admitted()).isTrue();
        assertThat(redis.command("HVALS", "ilb:limits:i:inflight")).isEqualTo("1");
    }

    @Test
    void theURLsPasswordAndDatabaseAreUsedAndNeverLogged() throws Exception {
        RedisServer secured = RedisServer.start("s3cret");
        started.add(secured);
        RedisLimits limits = shared("redis://:s3cret@127.0.0.1:" + secured.port() + "/3", null,
                new LocalLimits(System::currentTimeMillis));
        assertThat(limits.acquire(tenant("j", new Quota(10, 0, 0)), 1).toCompletableFuture().get().admitted())
                .isTrue();
        assertThat(secured.command("-n", "3", "EXISTS", "ilb:limits:j:requests")).isEqualTo("1");
        assertThat(secured.command("EXISTS", "ilb:limits:j:requests")).isEqualTo("0");

        RedisLimits refused = started("redis://:hunter2@127.0.0.1:" + secured.port(), null,
                new LocalLimits(System::currentTimeMillis));
        await().until(() -> !lines(Level.WARN).isEmpty());
        assertThat(refused.shared()).isFalse();
        assertThat(lines(Level.WARN)).hasSize(1).first().asString()
                .contains("127.0.0.1:" + secured.port(), "WRONGPASS");
        assertThat(log.list).extracting(ILoggingEvent::getFormattedMessage)
                .allSatisfy(line -> assertThat(line).doesNotContain("s3cret", "hunter2"));
    }

    @Test
    void anAnswerIlbCannotReadIsCountedHere() throws Exception {
        // a server that answers 1 to everything: a beat's answer, but not an admission's
        try (OneAnswer server = new OneAnswer(":1\r\n")) {
            RedisLimits limits = shared("redis://127.0.0.1:" + server.port(), null,
                    new LocalLimits(System::currentTimeMillis));
            log.list.clear();
            Verdict verdict = limits.acquire(tenant("k", new Quota(10, 0, 0)), 1).toCompletableFuture().get();
            assertThat(verdict.admitted()).isTrue();
            assertThat(verdict.requests().remaining()).isEqualTo(9);
            assertThat(lines(Level.WARN)).first().asString().contains("an answer ilb cannot read: 1");
        }
    }

    @Test
    void bytesThatAreNotRedisCloseTheConnection() throws Exception {
        try (OneAnswer server = new OneAnswer("HTTP/1.1 400 Bad Request\r\n\r\n")) {
            RedisLimits limits = started("redis://127.0.0.1:" + server.port(), null,
                    new LocalLimits(System::currentTimeMillis));
            await().until(() -> !lines(Level.WARN).isEmpty());
            assertThat(limits.shared()).isFalse();
            assertThat(limits.acquire(tenant("l", new Quota(10, 0, 0)), 1).toCompletableFuture()).isDone();
            assertThat(lines(Level.WARN)).hasSize(1);
        }
    }

    @Test
    void ilbCountsOnRedisWhenItsURLIsSet() throws Exception {
        try (Servers servers = new Servers()) {
            Appliance ilb = servers.ilb(pool("m", "round-robin", backend("m-0", servers.fastBackend())),
                    "ilb.limits.redis=" + redis.url(), "ilb.limits.redisTimeout=150ms");
            MeterRegistry meters = ilb.context().getRegistry().lookupByNameAndType(
                    MicrometerConstants.METRICS_REGISTRY_NAME, MeterRegistry.class);
            await().until(() -> connected(meters) == 1);
            assertThat(lines(Level.INFO)).hasSize(1).first().asString()
                    .contains("counted on Redis at 127.0.0.1:" + redis.port());

            redis.kill();
            await().until(() -> connected(meters) == 0);
        }
        // stopped with ilb, and quietly
        assertThat(lines(Level.WARN)).hasSize(1);
    }

    @Test
    void anAddressIsReadFromItsURLAndNeverShowsItsPassword() {
        RedisConnection.Address address = RedisConnection.Address.parse("redis://:pa%40ss@redis.internal:6380/2");
        assertThat(address).extracting(RedisConnection.Address::host, RedisConnection.Address::port,
                RedisConnection.Address::user, RedisConnection.Address::password, RedisConnection.Address::database)
                .containsExactly("redis.internal", 6380, null, "pa@ss", 2);
        assertThat(address.toString()).isEqualTo("redis.internal:6380/2");
        assertThat(RedisConnection.Address.parse("redis://ilb:pw@10.0.0.7")).extracting(
                RedisConnection.Address::user, RedisConnection.Address::password, RedisConnection.Address::port,
                RedisConnection.Address::database).containsExactly("ilb", "pw", 6379, 0);
        assertThatThrownBy(() -> RedisConnection.Address.parse("http://redis:6379"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("redis://");
        assertThatThrownBy(() -> RedisConnection.Address.parse("redis://redis:6379/cache"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("database");
    }

    /** A store started on {@code url}, once it counts on Redis. */
    private RedisLimits shared(String url, LongSupplier clock, LocalLimits local) {
        RedisLimits limits = started(url, clock, local);
        await().until(limits::shared);
        return limits;
    }

    private RedisLimits started(String url, LongSupplier clock, LocalLimits local) {
        RedisLimits limits = new RedisLimits(RedisConnection.Address.parse(url), LOOPS.next(), TIMEOUT_MILLIS, 50,
                local, clock);
        limits.start();
        started.add(limits::stop);
        return limits;
    }

    /** The same verdict from Redis as from the reference; what it was. */
    private static String compare(RedisLimits shared, LocalLimits reference, Tenant tenant, long tokens)
            throws Exception {
        Verdict verdict = shared.acquire(tenant, tokens).toCompletableFuture().get();
        assertThat(verdict).isEqualTo(reference.acquireNow(tenant, tokens));
        return outcome(verdict);
    }

    private static void settle(RedisLimits shared, LocalLimits reference, Tenant tenant, long correction)
            throws Exception {
        settle(shared, reference, tenant, correction, false);
    }

    private static void settle(RedisLimits shared, LocalLimits reference, Tenant tenant, long correction,
            boolean requestBack) throws Exception {
        shared.settle(tenant, correction, requestBack);
        reference.settle(tenant, correction, requestBack);
        answered(shared);
    }

    /** Returns once Redis has run what {@code limits} sent before (one connection: in order). */
    private static void answered(RedisLimits limits) throws Exception {
        limits.acquire(tenant("barrier", new Quota(1_000_000, 0, 0)), 0).toCompletableFuture().get();
    }

    private static String outcome(Verdict verdict) {
        return verdict.admitted() ? "admitted" : verdict.exceeded();
    }

    private static Tenant tenant(String name, Quota quota) {
        return new Tenant(name, Set.of("*"), Priority.STANDARD, Priority.STANDARD, 1, quota,
                Set.of(Tenant.PRODUCTION), null, null, false);
    }

    private static double connected(MeterRegistry meters) {
        return meters.get("ilb.limits.redis.connected").gauge().value();
    }

    private List<String> lines(Level level) {
        return log.list.stream().filter(event -> event.getLevel() == level)
                .map(ILoggingEvent::getFormattedMessage).toList();
    }

    /** A server on a plain socket that answers every command with the same bytes, whatever it was. */
    private static final class OneAnswer implements AutoCloseable {
        private final ServerSocket server;
        private final ExecutorService threads = Executors.newCachedThreadPool();

        OneAnswer(String answer) throws IOException {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            threads.execute(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket socket = server.accept();
                        threads.execute(() -> answer(socket, answer.getBytes(StandardCharsets.US_ASCII)));
                    } catch (IOException closed) {
                        return;
                    }
                }
            });
        }

        int port() {
            return server.getLocalPort();
        }

        /** Reads each command (an array of bulk strings) and writes the answer. */
        private static void answer(Socket socket, byte[] answer) {
            try (socket) {
                InputStream in = socket.getInputStream();
                OutputStream out = socket.getOutputStream();
                for (String header; (header = line(in)) != null; ) {
                    for (int i = Integer.parseInt(header.substring(1)); i > 0; i--) {
                        in.readNBytes(Integer.parseInt(line(in).substring(1)) + 2);
                    }
                    out.write(answer);
                    out.flush();
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private static String line(InputStream in) throws IOException {
            StringBuilder line = new StringBuilder();
            for (int c; (c = in.read()) != '\n'; ) {
                if (c < 0) {
                    return null;
                }
                line.append((char) c);
            }
            return line.toString().trim();
        }

        @Override
        public void close() throws IOException {
            server.close();
            threads.shutdownNow();
        }
    }
}
