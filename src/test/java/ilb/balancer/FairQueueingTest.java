package ilb.balancer;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import ilb.Appliance;
import ilb.Servers;
import ilb.simulator.SimulatedBackend;
import ilb.simulator.SimulatorOptions;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static ilb.Appliance.attempts;
import static ilb.Appliance.counts;
import static ilb.PoolRoute.backend;
import static ilb.PoolRoute.pool;
import static ilb.PoolRoute.route;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A saturated pool (one backend, one place, held by a long stream) serves its waiting requests by class, then fairly
 * between tenants by weight, and sheds the lowest class and the tenant most over its share first. Each request is a
 * long stream held open once served, so the pool serves them one at a time and the test sees the order it chose.
 */
class FairQueueingTest {

    private static final String KEY_A = "sk-a";
    private static final String KEY_B = "sk-b";

    private final Servers servers = new Servers();

    @AfterEach
    void stop() throws Exception {
        servers.close();
    }

    /** A request sent, by a name the test gives it. */
    private record Call(String name, CompletableFuture<HttpResponse<InputStream>> response) {
        HttpResponse<InputStream> answer() {
            return response.join();
        }

        String body() {
            try (InputStream body = answer().body()) {
                return new String(body.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** Awaits what takes a request or two on loopback: polled often, as the tests wait for dozens in turn. */
    private static ConditionFactory soon() {
        return await().pollInterval(Duration.ofMillis(10));
    }

    /** ilb with tenants test (key sk-test), a and b, and a pool for model m of one backend with one place. */
    private Appliance saturable(String... properties) {
        SimulatedBackend only = servers.fastBackend();
        List<String> all = new ArrayList<>(List.of("ilb.tenants=test,a,b", "ilb.tenant.a.apiKeys=" + KEY_A,
                "ilb.tenant.b.apiKeys=" + KEY_B));
        all.addAll(List.of(properties));
        return servers.ilb(pool("m", "round-robin", backend("only", only, "capacity: 1")), all.toArray(String[]::new));
    }

    /** Sends a long streamed request for {@code model} with the key and, unless null, {@code x-ilb-priority}. */
    private static Call send(Appliance ilb, String name, String model, String key, String priority) {
        HttpRequest.Builder request = ilb.request("/v1/chat/completions").setHeader("authorization", "Bearer " + key)
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + model + "\",\"stream\":true,"
                        + "\"max_tokens\":100000,\"messages\":[{\"role\":\"user\",\"content\":\"tell a story\"}]}"));
        if (priority != null) {
            request.header("x-ilb-priority", priority);
        }
        return new Call(name, ilb.http().sendAsync(request.build(), HttpResponse.BodyHandlers.ofInputStream()));
    }

    /** Takes the pool's one place with a stream of tenant test's. */
    private static Call hold(Appliance ilb) {
        Call holder = send(ilb, "holder", "m", Appliance.API_KEY, null);
        assertThat(holder.answer().statusCode()).isEqualTo(200);
        return holder;
    }

    /** Sends a request and waits until it waits in the pool's queue. */
    private static Call queue(Appliance ilb, String name, String key, String priority) {
        InferenceLoadBalancer pool = ilb.balancer("pool-m");
        int before = pool.queued();
        Call call = send(ilb, name, "m", key, priority);
        soon().until(() -> pool.queued() == before + 1);
        return call;
    }

    /** Asserts that the request was shed: 503 overloaded, with Retry-After. */
    private static String assertShed(Call call) {
        soon().until(call.response()::isDone);
        assertThat(call.answer().statusCode()).as(call.name()).isEqualTo(503);
        assertThat(call.answer().headers().firstValue("retry-after")).as(call.name()).isPresent();
        String body = call.body();
        assertThat(body).as(call.name()).contains("\"code\":\"overloaded\"");
        return body;
    }

    /**
     * Frees the pool's place, then each request as it is served: the order the pool served them in. One place, so
     * exactly one is served at a time.
     */
    private static List<String> servedInTurn(Call holder, List<Call> calls) throws IOException {
        holder.answer().body().close();
        List<Call> pending = new ArrayList<>(calls);
        List<String> served = new ArrayList<>();
        while (!pending.isEmpty()) {
            List<Call> done = soon().until(() -> pending.stream().filter(c -> c.response().isDone()).toList(),
                    d -> !d.isEmpty());
            assertThat(done).as("served at once after " + served).hasSize(1);
            Call call = done.get(0);
            assertThat(call.answer().statusCode()).as(call.name()).isEqualTo(200);
            call.answer().body().close();
            pending.remove(call);
            served.add(call.name());
        }
        return served;
    }

    @Test
    void aCriticalRequestQueuedAfterStandardOnesIsServedFirst() throws Exception {
        Appliance ilb = saturable("ilb.tenant.a.priority=critical");
        Call holder = hold(ilb);
        List<Call> calls = new ArrayList<>();
        calls.add(queue(ilb, "sheddable", Appliance.API_KEY, "sheddable"));
        calls.add(queue(ilb, "standard-0", Appliance.API_KEY, null));
        calls.add(queue(ilb, "standard-1", Appliance.API_KEY, null));
        calls.add(queue(ilb, "critical", KEY_A, null));

        // five sent: the holder and four served in turn
        assertThat(servedInTurn(holder, calls)).containsExactly("critical", "standard-0", "standard-1", "sheddable");
        assertThat(ilb.balancer("pool-m").queued()).isZero();
    }

    @Test
    void twoTenantsOfEqualWeightAreServedAlternatelyThoughOneQueuedTenTimesMore() throws Exception {
        Appliance ilb = saturable();
        Call holder = hold(ilb);
        List<Call> calls = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            calls.add(queue(ilb, "a" + i, KEY_A, null));
        }
        calls.add(queue(ilb, "b0", KEY_B, null));
        calls.add(queue(ilb, "b1", KEY_B, null));

        List<String> served = servedInTurn(holder, calls);

        // 23 sent: the holder, and 22 served
        assertThat(served).hasSize(22);
        assertThat(served.subList(0, 5)).containsExactly("a0", "b0", "a1", "b1", "a2");
        assertThat(served.subList(4, 22)).allMatch(name -> name.startsWith("a"));
    }

    @Test
    void weightsThreeAndOneAreServedThreeToOne() throws Exception {
        Appliance ilb = saturable("ilb.tenant.a.weight=3");
        Call holder = hold(ilb);
        List<Call> calls = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            calls.add(queue(ilb, "a" + i, KEY_A, null));
        }
        for (int i = 0; i < 3; i++) {
            calls.add(queue(ilb, "b" + i, KEY_B, null));
        }

        List<String> served = servedInTurn(holder, calls);

        // 13 sent: the holder and 12 served, each four of them three of a's and one of b's
        assertThat(served).hasSize(12);
        for (int i = 0; i < 12; i += 4) {
            assertThat(counts(served.subList(i, i + 4).stream().map(name -> name.substring(0, 1)).toList()))
                    .isEqualTo(Map.of("a", 3L, "b", 1L));
        }
    }

    @Test
    void aFullQueueShedsSheddableFirstThenTheTenantMostOverItsShare() throws Exception {
        Appliance ilb = saturable("ilb.balancer.queueSize=4");
        Call holder = hold(ilb);
        Call sheddable = queue(ilb, "a-sheddable", KEY_A, "sheddable");
        List<Call> waiting = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            waiting.add(queue(ilb, "a" + i, KEY_A, null));
        }

        // full: a standard newcomer takes the sheddable one's place
        Call b0 = send(ilb, "b0", "m", KEY_B, null);
        assertThat(assertShed(sheddable)).contains("wait queue is full (4 waiting)");
        // a has three waiting, b one and the newcomer: a's longest waiting goes
        Call b1 = send(ilb, "b1", "m", KEY_B, null);
        assertShed(waiting.remove(0));
        // a sheddable newcomer is below everything waiting: it goes itself
        assertShed(send(ilb, "b-sheddable", "m", KEY_B, "sheddable"));
        assertThat(ilb.balancer("pool-m").queued()).isEqualTo(4);

        waiting.add(b0);
        waiting.add(b1);
        // nine sent: the holder, three shed and five served
        assertThat(servedInTurn(holder, waiting)).containsExactly("a1", "b0", "a2", "b1");
    }

    @Test
    void eachClassWaitsNoLongerThanItsQueueDeadline() throws Exception {
        Appliance ilb = saturable("ilb.balancer.queueTimeout.sheddable=100ms");
        Call holder = hold(ilb);
        Call standard = queue(ilb, "standard", Appliance.API_KEY, null);
        Call sheddable = send(ilb, "sheddable", "m", Appliance.API_KEY, "sheddable");

        assertThat(assertShed(sheddable)).contains("stayed busy for 100 ms, the queue deadline of sheddable requests");
        // the standard request waits on, under its own deadline (10 s)
        assertThat(standard.response()).isNotDone();
        assertThat(ilb.balancer("pool-m").queued()).isEqualTo(1);

        // three sent: the holder, one shed and one served
        assertThat(servedInTurn(holder, List.of(standard))).containsExactly("standard");
    }

    @Test
    void aShadowCopyIsNeverQueuedNorRetried() throws Exception {
        SimulatedBackend good = servers.backend(new SimulatorOptions().models("m", "s").ttftMs(1).itlMs(1));
        SimulatedBackend failing = servers.backend(new SimulatorOptions().models("m", "s").ttftMs(1).itlMs(1));
        failing.faults().errorRate(1).errorStatus(503);
        // the same backends for model m, and for model s, whose every request is marked a shadow copy
        Appliance ilb = servers.ilb(pool("m", "round-robin", backend("failing-m", failing, "tier: 0"),
                backend("good-m", good, "tier: 1", "capacity: 1"))
                + route("pool-s", "model:s", """
                        - setProperty:
                            name: ilb.shadow
                            constant: "true"
                """, "round-robin", backend("failing-s", failing, "tier: 0"),
                backend("good-s", good, "tier: 1", "capacity: 1")));

        // a request is retried on the next tier; its shadow copy is not
        HttpResponse<String> primary = ilb.post("/v1/chat/completions", Appliance.chat("m", 2));
        HttpResponse<String> shadow = ilb.post("/v1/chat/completions", Appliance.chat("s", 2));
        assertThat(primary.statusCode()).isEqualTo(200);
        assertThat(attempts(primary)).isEqualTo(2);
        assertThat(shadow.statusCode()).isEqualTo(503);
        assertThat(attempts(shadow)).isEqualTo(1);
        assertThat(failing.inferenceRequests()).isEqualTo(2);

        // with good-s full (failing-s's 503s aside), a shadow copy is answered at once rather than queued
        failing.faults().errorRate(0);
        ilb.backend("failing-s").drain();
        Call holding = send(ilb, "shadow-holder", "s", Appliance.API_KEY, null);
        assertThat(holding.answer().statusCode()).isEqualTo(200);
        Call turnedAway = send(ilb, "shadow", "s", Appliance.API_KEY, null);
        assertThat(assertShed(turnedAway)).contains("free for a shadow copy");
        assertThat(ilb.balancer("pool-s").queued()).isZero();
        holding.answer().body().close();
        // four sent: two answered above, one served and one shed
        assertThat(good.inferenceRequests()).isEqualTo(2);
    }
}
