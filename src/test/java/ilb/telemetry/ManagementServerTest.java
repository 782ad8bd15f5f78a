package ilb.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import ilb.Appliance;
import ilb.PoolRoute;
import ilb.Servers;
import org.junit.jupiter.api.Test;

/** The management server: health and Prometheus metrics on a port of their own, apart from the inference API. */
class ManagementServerTest {

    @Test
    void healthAndPrometheusMetricsAreServedUnderObserve() throws Exception {
        int port = Appliance.freePort();
        try (Servers servers = new Servers()) {
            Appliance ilb = servers.ilb(PoolRoute.pool("m", "round-robin", PoolRoute.backend("a",
                    servers.backend(new ilb.simulator.SimulatorOptions().models("m").ttftMs(1).itlMs(20)))),
                    "camel.management.enabled=true", "camel.management.host=127.0.0.1",
                    "camel.management.port=" + port);
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                    + "/observe/health")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(health.body()).contains("\"status\":\"UP\"");

            HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                    + "/observe/metrics")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.headers().firstValue("content-type").orElse("")).startsWith("text/plain");
            assertThat(metrics.body()).contains("# TYPE jvm_memory_used_bytes gauge")
                    .contains("process_cpu_usage")
                    .contains("ilb_backend_in_flight{backend=\"a\",protocol=\"http\"} 0.0")
                    // no capacity written: learned, from a small start
                    .contains("ilb_backend_capacity{backend=\"a\",protocol=\"http\",source=\"learned\"} 4.0")
                    .contains("ilb_backend_up{backend=\"a\",protocol=\"http\"} 1.0")
                    .contains("ilb_backend_breaker_state{backend=\"a\",protocol=\"http\",state=\"closed\"} 1.0")
                    .contains("ilb_backend_breaker_state{backend=\"a\",protocol=\"http\",state=\"open\"} 0.0")
                    .contains("# TYPE ilb_batch_results_total counter")
                    .contains("ilb_pool_queued{pool=\"pool-m\",stage=\"production\"} 0.0")
                    .contains("ilb_pool_saturation{pool=\"pool-m\",stage=\"production\"} 0.0")
                    .contains("ilb_pool_backends_in_rotation{pool=\"pool-m\",stage=\"production\"} 1.0");

            // a request in flight shows as one
            try (var stream = ilb.openStream("m", 10_000).body()) {
                HttpResponse<String> during = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                        + "/observe/metrics")).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(during.body()).contains("ilb_backend_in_flight{backend=\"a\",protocol=\"http\"} 1.0")
                        // one of 4 places
                        .contains("ilb_pool_saturation{pool=\"pool-m\",stage=\"production\"} 0.25");
            }
        }
    }
}
