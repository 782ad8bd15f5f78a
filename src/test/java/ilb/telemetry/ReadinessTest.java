package ilb.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import ilb.Appliance;
import ilb.PoolRoute;
import ilb.Servers;
import ilb.simulator.SimulatedBackend;
import ilb.simulator.SimulatorOptions;
import org.junit.jupiter.api.Test;

/**
 * ilb is ready while every model has a backend in rotation, and {@code /observe/health} says which backends are
 * up, down or ejected, and why.
 */
class ReadinessTest {

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void aModelWithoutABackendInRotationMakesIlbUnreadyButStillLive() throws Exception {
        int port = Appliance.freePort();
        try (Servers servers = new Servers()) {
            SimulatedBackend only = servers.backend(new SimulatorOptions().models("d").ttftMs(1).itlMs(1));
            servers.ilb(PoolRoute.pool("m", "round-robin", PoolRoute.backend("ready-a", servers.fastBackend()))
                    + PoolRoute.pool("d", "round-robin", PoolRoute.backend("ready-d", only, "healthInterval: 100ms")),
                    "camel.management.enabled=true", "camel.management.host=127.0.0.1",
                    "camel.management.port=" + port);
            assertThat(get(port, "/observe/health/ready").statusCode()).isEqualTo(200);

            only.crash();
            await().atMost(Duration.ofSeconds(10)).until(() -> get(port, "/observe/health/ready").statusCode() == 503);
            assertThat(get(port, "/observe/health/ready").body())
                    .contains("\"name\":\"models\"").contains("no backend in rotation for d");
            assertThat(get(port, "/observe/health/live").statusCode()).isEqualTo(200);
            HttpResponse<String> all = get(port, "/observe/health?data=true");
            assertThat(all.body()).contains("\"name\":\"backends\"")
                    .contains("1 of 2 backends in rotation")
                    .contains("ready-d=DOWN: connection refused")
                    .contains("ready-a=UP")
                    .contains("\"m\":\"1 of 1 backends in rotation\"")
                    .contains("\"d\":\"0 of 1 backends in rotation\"");
        }
    }

    @Test
    void withAnyModelIlbStaysReadyWhileOneModelIsServed() throws Exception {
        int port = Appliance.freePort();
        try (Servers servers = new Servers()) {
            SimulatedBackend only = servers.backend(new SimulatorOptions().models("d").ttftMs(1).itlMs(1));
            SimulatedBackend other = servers.fastBackend();
            servers.ilb(PoolRoute.pool("m", "round-robin", PoolRoute.backend("any-a", other, "healthInterval: 100ms"))
                    + PoolRoute.pool("d", "round-robin", PoolRoute.backend("any-d", only, "healthInterval: 100ms")),
                    "ilb.health.readyWhen=any-model", "camel.management.enabled=true",
                    "camel.management.host=127.0.0.1", "camel.management.port=" + port);

            only.crash();
            await().atMost(Duration.ofSeconds(10)).until(() -> get(port, "/observe/health/ready").body()
                    .contains("no backend in rotation for d; ready for the 1 other models"));
            assertThat(get(port, "/observe/health/ready").statusCode()).isEqualTo(200);

            // and not once no model is served
            other.crash();
            await().atMost(Duration.ofSeconds(10)).until(() -> get(port, "/observe/health/ready").statusCode() == 503);
            assertThat(get(port, "/observe/health/ready").body()).contains("no backend in rotation for");
        }
    }

    private HttpResponse<String> get(int port, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
