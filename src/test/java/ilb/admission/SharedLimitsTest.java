package ilb.admission;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

import ilb.Appliance;
import ilb.RedisServer;
import ilb.Servers;
import ilb.simulator.SimulatedBackend;
import ilb.simulator.SimulatorOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static ilb.Appliance.chat;
import static ilb.Appliance.counts;
import static ilb.PoolRoute.backend;
import static ilb.PoolRoute.pool;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two ilb replicas that share one Redis hold a tenant to its limits together, as one ilb would: its requests a
 * minute, and its requests at once. Both count by one clock the test moves, so no minute passes unless it says.
 */
class SharedLimitsTest {

    private final Servers servers = new Servers();
    private final AtomicLong now = new AtomicLong(1_000_000_000);
    private RedisServer redis;

    @AfterEach
    void stop() throws Exception {
        servers.close();
        if (redis != null) {
            redis.close();
        }
    }

    private Appliance replica(String routes, String... tenant) {
        List<String> properties = new ArrayList<>(List.of("ilb.limits.redis=" + redis.url(), "ilb.tenants=test,shared",
                "ilb.tenant.shared.apiKeys=sk-shared"));
        properties.addAll(List.of(tenant));
        return servers.ilb(routes, Map.of("ilbClock", (LongSupplier) now::get), properties.toArray(String[]::new));
    }

    @Test
    void aTenantSendingTwiceItsRequestsAMinuteOverTwoReplicasGetsItsLimit() {
        redis = RedisServer.start();
        SimulatedBackend backend = servers.fastBackend();
        String routes = pool("m", "round-robin", backend("m-0", backend));
        Appliance first = replica(routes, "ilb.tenant.shared.requestsPerMinute=10");
        Appliance second = replica(routes, "ilb.tenant.shared.requestsPerMinute=10");

        List<String> outcomes = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            HttpResponse<String> response = post(i % 2 == 0 ? first : second, chat("m", 2));
            outcomes.add(response.statusCode() + " " + response.headers().firstValue("x-ratelimit-limit-requests")
                    .orElse("-"));
        }
        assertThat(counts(outcomes)).containsOnly(Map.entry("200 10", 10L), Map.entry("429 10", 10L));
        assertThat(backend.inferenceRequests()).isEqualTo(10);

        // a minute later, both replicas admit again, still from one count: ten in all
        now.addAndGet(60_000);
        long served = 0;
        for (int i = 0; i < 12; i++) {
            served += post(i % 2 == 0 ? second : first, chat("m", 2)).statusCode() == 200 ? 1 : 0;
        }
        assertThat(served).isEqualTo(10);
        assertThat(backend.inferenceRequests()).isEqualTo(20);
    }

    @Test
    void requestsAtOnceAreCountedAcrossReplicasUntilTheirStreamsEnd() throws Exception {
        redis = RedisServer.start();
        // streams that last as long as the test holds them
        SimulatedBackend slow = servers.backend(new SimulatorOptions().models("slow").ttftMs(1).itlMs(60_000));
        String routes = pool("slow", "round-robin", backend("slow-0", slow));
        Appliance first = replica(routes, "ilb.tenant.shared.maxConcurrent=2");
        Appliance second = replica(routes, "ilb.tenant.shared.maxConcurrent=2");

        HttpResponse<java.io.InputStream> one = stream(first);
        HttpResponse<java.io.InputStream> two = stream(second);
        assertThat(List.of(one.statusCode(), two.statusCode())).containsOnly(200);
        // the third, on either replica, finds both places taken
        assertThat(post(first, chat("slow", 1)).statusCode()).isEqualTo(429);
        assertThat(post(second, chat("slow", 1)).statusCode()).isEqualTo(429);

        // a stream that ends gives its place back, for both replicas (its settling may trail the client's close)
        one.body().close();
        List<HttpResponse<java.io.InputStream>> third = new ArrayList<>();
        org.awaitility.Awaitility.await().until(() -> {
            HttpResponse<java.io.InputStream> tried = stream(second);
            if (tried.statusCode() != 200) {
                assertThat(tried.statusCode()).isEqualTo(429);
                tried.body().close();
                return false;
            }
            third.add(tried);
            return true;
        });
        assertThat(post(first, chat("slow", 1)).statusCode()).isEqualTo(429);
        third.get(0).body().close();
        two.body().close();
    }

    private static HttpResponse<String> post(Appliance ilb, String body) {
        return ilb.send(HttpRequest.newBuilder(URI.create(ilb.baseUrl() + "/v1/chat/completions"))
                .header("authorization", "Bearer sk-shared").POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    private static HttpResponse<java.io.InputStream> stream(Appliance ilb) throws Exception {
        return ilb.http().send(HttpRequest.newBuilder(URI.create(ilb.baseUrl() + "/v1/chat/completions"))
                .header("authorization", "Bearer sk-shared")
                .POST(HttpRequest.BodyPublishers.ofString(
                        "{\"model\":\"slow\",\"stream\":true,\"max_tokens\":5,\"messages\":[{\"role\":\"user\","
                                + "\"content\":\"hi\"}]}")).build(), HttpResponse.BodyHandlers.ofInputStream());
    }
}
