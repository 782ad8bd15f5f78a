package ilb.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import ilb.Appliance;
import ilb.PoolRoute;
import ilb.Servers;
import org.junit.jupiter.api.Test;

/**
 * A model's versions show apart on {@code /observe/metrics}: requests, latency and tokens by version and stage, a
 * shadow version's copies as sheddable requests of their own, and each pool with its stage.
 */
class VersionMetersTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int REQUESTS = 60;

    @Test
    void requestsAndTokensAreMeteredByVersionAndStageAndShadowCopiesUnderTheirOwnVersion() throws Exception {
        int port = Appliance.freePort();
        try (Servers servers = new Servers()) {
            Appliance ilb = servers.ilb(PoolRoute.route("m-v1", "model:m?version=v1&weight=80", "", "round-robin",
                    PoolRoute.backend("v1-0", servers.fastBackend()))
                    + PoolRoute.route("m-v2", "model:m?version=v2&weight=20&stage=experimental", "", "round-robin",
                            PoolRoute.backend("v2-0", servers.fastBackend()))
                    + PoolRoute.route("m-v3", "model:m?version=v3&shadow=1&stage=experimental", "", "round-robin",
                            PoolRoute.backend("v3-0", servers.fastBackend()))
                    + PoolRoute.pool("any", "round-robin", PoolRoute.backend("any-0",
                            servers.backend(new ilb.simulator.SimulatorOptions().models("any")))),
                    "ilb.tenant.test.stages=production,experimental", "camel.management.enabled=true",
                    "camel.management.host=127.0.0.1", "camel.management.port=" + port);

            Map<String, Integer> byVersion = new HashMap<>();
            long completion = 0;
            for (int i = 0; i < REQUESTS; i++) {
                HttpResponse<String> response = ilb.send(ilb.request("/v1/chat/completions")
                        .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                                "{\"model\":\"m\",\"user\":\"user-" + i + "\",\"max_tokens\":3,"
                                        + "\"messages\":[{\"role\":\"user\",\"content\":\"hello there\"}]}")).build());
                assertThat(response.statusCode()).isEqualTo(200);
                byVersion.merge(response.headers().firstValue("x-ilb-model-version").orElseThrow(), 1, Integer::sum);
                completion += JSON.readTree(response.body()).path("usage").path("completion_tokens").asLong();
            }
            assertThat(byVersion.keySet()).containsExactlyInAnyOrder("v1", "v2");

            long primaryCompletion = completion;
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                Scrape scrape = Scrape.of(port);
                assertThat(scrape.sum("ilb_requests_total", "model=m", "version=v1", "stage=production",
                        "priority=standard", "outcome=success")).isEqualTo(byVersion.get("v1").intValue());
                assertThat(scrape.sum("ilb_requests_total", "model=m", "version=v2", "stage=experimental",
                        "priority=standard", "outcome=success")).isEqualTo(byVersion.get("v2").intValue());
                // every request copied to the shadow version, metered as its own sheddable requests
                assertThat(scrape.sum("ilb_requests_total", "model=m", "version=v3", "stage=experimental",
                        "priority=sheddable", "outcome=success")).isEqualTo(REQUESTS);
                assertThat(scrape.sum("ilb_request_duration_seconds_count", "model=m", "version=v3",
                        "stage=experimental")).isEqualTo(REQUESTS);
                assertThat(scrape.sum("ilb_tokens_total", "model=m", "version=v3", "kind=completion"))
                        .isEqualTo(primaryCompletion);
                assertThat(scrape.sum("ilb_tokens_total", "model=m", "version=v1", "kind=completion")
                        + scrape.sum("ilb_tokens_total", "model=m", "version=v2", "kind=completion"))
                        .isEqualTo(primaryCompletion);
            });
            // a model served by a route for any version: a version a client names is no label of its own (else any
            // client could grow the meters without bound), nor said to have answered (the backend never heard of it)
            for (String madeUp : new String[] {"x1", "x2"}) {
                HttpResponse<String> response = ilb.send(ilb.request("/v1/chat/completions")
                        .header("x-ilb-model-version", madeUp).POST(HttpRequest.BodyPublishers.ofString(
                                "{\"model\":\"any\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")).build());
                assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
                assertThat(response.headers().firstValue("x-ilb-model-version")).isEmpty();
            }
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
                    Scrape.of(port).sum("ilb_requests_total", "model=any", "version=", "outcome=success")).isEqualTo(2));
            assertThat(Scrape.of(port).toString()).doesNotContain("version=\"x1\"").doesNotContain("version=\"x2\"");
            assertThat(Scrape.of(port).toString()).contains("ilb_pool_queued{pool=\"m-v1\",stage=\"production\"}")
                    .contains("ilb_pool_queued{pool=\"m-v2\",stage=\"experimental\"}")
                    .contains("ilb_pool_queued{pool=\"m-v3\",stage=\"experimental\"}");
        }
    }
}
