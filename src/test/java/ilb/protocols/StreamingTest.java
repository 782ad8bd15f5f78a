package ilb.protocols;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import ilb.Appliance;
import ilb.Servers;
import ilb.simulator.SimulatedBackend;
import ilb.simulator.SimulatorOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static ilb.Appliance.attempts;
import static ilb.Appliance.servedBy;
import static ilb.PoolRoute.backend;
import static ilb.PoolRoute.pool;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Server-Sent Events pass through as they are produced; neither side is left hanging. */
class StreamingTest {

    private final Servers servers = new Servers();

    @AfterEach
    void stop() throws Exception {
        servers.close();
    }

    private static String nextEvent(BufferedReader reader) throws Exception {
        String line;
        while ((line = reader.readLine()) != null) {
            if (line.startsWith("data: ")) {
                return line.substring(6);
            }
        }
        return null;
    }

    private static BufferedReader reader(InputStream body) {
        return new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8));
    }

    @Test
    void eachEventReachesTheClientBeforeTheBackendProducesTheNext() throws Exception {
        // 150 ms between tokens: an event that waited for the next one would be caught
        SimulatedBackend slowTokens = servers.backend(new SimulatorOptions().models("m").ttftMs(10).itlMs(150));
        Appliance ilb = servers.ilb(pool("m", "round-robin", backend("a", slowTokens)));

        HttpResponse<InputStream> response = ilb.openStream("m", 5);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("text/event-stream"));
        assertThat(servedBy(response)).isEqualTo("a");

        List<Long> producedWhenReceived = new ArrayList<>();
        List<String> events = new ArrayList<>();
        try (BufferedReader reader = reader(response.body())) {
            String event;
            while ((event = nextEvent(reader)) != null) {
                producedWhenReceived.add(slowTokens.streamedTokens());
                events.add(event);
            }
        }

        // 5 token events, the finish event, [DONE]; token event i arrived while the backend had produced i+1
        assertThat(events).hasSize(7).last().isEqualTo("[DONE]");
        assertThat(producedWhenReceived.subList(0, 5)).containsExactly(1L, 2L, 3L, 4L, 5L);
        assertThat(events.get(0)).contains("\"role\":\"assistant\"");
    }

    @Test
    void aClientThatLeavesStopsTheGenerationAtTheBackend() throws Exception {
        SimulatedBackend backend = servers.backend(new SimulatorOptions().models("m").ttftMs(1).itlMs(20));
        Appliance ilb = servers.ilb(pool("m", "round-robin", backend("a", backend)));

        HttpResponse<InputStream> response = ilb.openStream("m", 100_000);
        BufferedReader reader = reader(response.body());
        assertThat(nextEvent(reader)).contains("chat.completion.chunk");
        assertThat(backend.running()).isEqualTo(1);

        reader.close();

        // the backend connection is closed, the sequence leaves the batch, the backend's place is given back
        await().until(() -> backend.running() == 0 && ilb.backend("a").inFlight() == 0);
    }

    @Test
    void aBackendThatDiesMidStreamEndsTheClientStreamWithAnError() throws Exception {
        SimulatedBackend dying = servers.backend(new SimulatorOptions().models("m").ttftMs(1).itlMs(20));
        Appliance ilb = servers.ilb(pool("m", "round-robin", backend("a", dying)));

        HttpResponse<InputStream> response = ilb.openStream("m", 100_000);
        List<String> events = new ArrayList<>();
        try (BufferedReader reader = reader(response.body())) {
            events.add(nextEvent(reader));
            dying.crash();
            String event;
            while ((event = nextEvent(reader)) != null) {
                events.add(event);
            }
        }

        // no [DONE]: the client can tell a cut stream from a finished one
        assertThat(events).doesNotContain("[DONE]");
        assertThat(events.get(events.size() - 1)).contains("\"error\"").contains("mid-stream");
        await().until(() -> ilb.backend("a").inFlight() == 0);
    }

    @Test
    void aStreamThatARouteDropsIsStoppedAndItsPlaceGivenBack() {
        SimulatedBackend backend = servers.backend(new SimulatorOptions().models("m").ttftMs(1).itlMs(20));
        // a mistaken route: a step after the balancer throws the stream away
        Appliance ilb = servers.ilb(pool("m", "round-robin", backend("a", backend)).stripTrailing()
                + "\n        - setBody:\n            constant: oops\n");

        HttpResponse<String> response = ilb.post("/v1/chat/completions",
                "{\"model\":\"m\",\"stream\":true,\"max_tokens\":100000,"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");

        assertThat(response.statusCode()).isEqualTo(500);
        assertThat(response.body()).contains("\"code\":\"internal_error\"");
        await().until(() -> backend.running() == 0 && ilb.backend("a").inFlight() == 0);
    }

    @Test
    void aFailureBeforeTheFirstEventIsRetriedOnAnotherBackend() throws Exception {
        SimulatedBackend unavailable = servers.backend(new SimulatorOptions().models("m").ttftMs(1).itlMs(1));
        SimulatedBackend healthy = servers.backend(new SimulatorOptions().models("m").ttftMs(1).itlMs(1));
        unavailable.faults().errorRate(1.0).errorStatus(503);
        Appliance ilb = servers.ilb(pool("m", "round-robin", backend("unavailable", unavailable),
                backend("healthy", healthy)));

        HttpResponse<InputStream> response = ilb.openStream("m", 3);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(servedBy(response)).isEqualTo("healthy");
        assertThat(attempts(response)).isEqualTo(2);
        try (BufferedReader reader = reader(response.body())) {
            String last = null;
            String event;
            while ((event = nextEvent(reader)) != null) {
                last = event;
            }
            assertThat(last).isEqualTo("[DONE]");
        }
    }
}
