package ilb.telemetry;

import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;

import ilb.Appliance;
import ilb.PoolRoute;
import ilb.Servers;
import ilb.simulator.SimulatorOptions;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A saturated pool's queue on {@code /observe/metrics}: how long requests waited, and which were shed and why, by
 * pool, priority and tenant; and how many wait now.
 */
class QueueMetersTest {

    private static CompletableFuture<HttpResponse<String>> chat(Appliance ilb, String key, String priority) {
        HttpRequest.Builder request = ilb.request("/v1/chat/completions").setHeader("authorization", "Bearer " + key)
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(Appliance.chat("m", 2)));
        if (priority != null) {
            request.header("x-ilb-priority", priority);
        }
        return ilb.http().sendAsync(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void waitsAndShedsAreMeteredByPoolPriorityTenantAndReason() throws Exception {
        int port = Appliance.freePort();
        try (Servers servers = new Servers()) {
            // pool-m's one place, and pool-s's, whose every request is a shadow copy
            Appliance ilb = servers.ilb(PoolRoute.pool("m", "round-robin",
                    PoolRoute.backend("only", servers.fastBackend(), "capacity: 1"))
                    + PoolRoute.route("pool-s", "model:s", """
                                    - setProperty:
                                        name: ilb.shadow
                                        constant: "true"
                            """, "round-robin", PoolRoute.backend("shadow", servers.backend(
                            new SimulatorOptions().models("s").ttftMs(1).itlMs(1)), "capacity: 1")),
                    "camel.management.enabled=true", "camel.management.host=127.0.0.1",
                    "camel.management.port=" + port, "ilb.tenants=test,a", "ilb.tenant.a.apiKeys=sk-a",
                    "ilb.tenant.a.priority=critical", "ilb.balancer.queueTimeout.critical=100ms",
                    "ilb.balancer.queueSize=1");
            InputStream holder = ilb.openStream("m", 100_000).body();

            // a's critical request waits past its deadline
            assertThat(chat(ilb, "sk-a", null).get().statusCode()).isEqualTo(503);
            // test's standard request waits, and a sheddable one finds the queue full
            CompletableFuture<HttpResponse<String>> waiting = chat(ilb, Appliance.API_KEY, null);
            await().until(() -> ilb.balancer("pool-m").queued() == 1);
            assertThat(chat(ilb, Appliance.API_KEY, "sheddable").get().statusCode()).isEqualTo(503);
            assertThat(Scrape.of(port).sum("ilb_pool_queued", "pool=pool-m")).isEqualTo(1);
            // a shadow copy finds pool-s's one place taken
            InputStream shadowHolder = ilb.openStream("s", 100_000).body();
            assertThat(ilb.post("/v1/chat/completions", Appliance.chat("s", 2)).statusCode()).isEqualTo(503);
            shadowHolder.close();
            holder.close();
            assertThat(waiting.get().statusCode()).isEqualTo(200);

            // six sent: two holders served at once, one served after waiting, three shed
            await().untilAsserted(() -> {
                Scrape scrape = Scrape.of(port);
                assertThat(scrape.sum("ilb_queue_wait_seconds_count")).isEqualTo(1);
                assertThat(scrape.sum("ilb_queue_wait_seconds_count", "pool=pool-m", "priority=standard",
                        "tenant=test")).isEqualTo(1);
                assertThat(scrape.sum("ilb_queue_wait_seconds_bucket", "pool=pool-m", "le=+Inf")).isEqualTo(1);
                assertThat(scrape.sum("ilb_queue_shed_total")).isEqualTo(3);
                assertThat(scrape.sum("ilb_queue_shed_total", "pool=pool-m", "priority=critical", "tenant=a",
                        "reason=deadline")).isEqualTo(1);
                assertThat(scrape.sum("ilb_queue_shed_total", "pool=pool-m", "priority=sheddable", "tenant=test",
                        "reason=queue_full")).isEqualTo(1);
                assertThat(scrape.sum("ilb_queue_shed_total", "pool=pool-s", "priority=standard", "tenant=test",
                        "reason=no_capacity")).isEqualTo(1);
                assertThat(scrape.sum("ilb_pool_queued", "pool=pool-m")).isZero();
            });
        }
    }
}
