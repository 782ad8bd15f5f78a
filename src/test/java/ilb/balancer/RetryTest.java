package ilb.balancer;

import java.net.Socket;
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
import static ilb.Appliance.chat;
import static ilb.Appliance.servedBy;
import static ilb.PoolRoute.backend;
import static ilb.PoolRoute.pool;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Failures before the first byte are retried on another backend, within the retry budget. */
class RetryTest {

    private final Servers servers = new Servers();

    @AfterEach
    void stop() throws Exception {
        servers.close();
    }

    private static List<HttpResponse<String>> send(Appliance ilb, int requests) {
        List<HttpResponse<String>> responses = new ArrayList<>();
        for (int i = 0; i < requests; i++) {
            responses.add(ilb.post("/v1/chat/completions", chat("m", 2)));
        }
        return responses;
    }

    @Test
    void a503IsRetriedOnAnotherBackend() {
        SimulatedBackend unavailable = servers.fastBackend();
        SimulatedBackend healthy = servers.fastBackend();
        unavailable.faults().errorRate(1.0).errorStatus(503);
        // no ejection: the unavailable backend is offered every request
        Appliance ilb = servers.ilb(pool("m", "round-robin", backend("unavailable", unavailable),
                backend("healthy", healthy)), "camel.component.backend.ejectAfterFailures=0");

        List<HttpResponse<String>> responses = send(ilb, 6);

        // round-robin offers the unavailable backend first every time (the retry takes the other turn)
        assertThat(responses).allSatisfy(r -> {
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(servedBy(r)).isEqualTo("healthy");
            assertThat(attempts(r)).isEqualTo(2);
        });
        assertThat(unavailable.inferenceRequests()).isEqualTo(6);
    }

    @Test
    void aRefusedConnectionIsRetriedAndTheBackendMarkedDown() {
        SimulatedBackend healthy = servers.fastBackend();
        // nothing listens there; no active health check, so only the request can find out
        Appliance ilb = servers.ilb(pool("m", "round-robin",
                backend("gone", "http://127.0.0.1:" + Appliance.freePort(), "healthPath: "),
                backend("healthy", healthy)));

        List<HttpResponse<String>> responses = send(ilb, 6);

        assertThat(responses).allSatisfy(r -> {
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(servedBy(r)).isEqualTo("healthy");
        });
        assertThat(attempts(responses.get(0))).isEqualTo(2);
        assertThat(responses.subList(1, 6)).allSatisfy(r -> assertThat(attempts(r)).isEqualTo(1));
        assertThat(ilb.backend("gone").isDown()).isTrue();
    }

    @Test
    void a429CoolsTheBackendForItsRetryAfter() {
        SimulatedBackend full = servers.fastBackend();
        SimulatedBackend healthy = servers.fastBackend();
        full.faults().rateLimitRate(1.0).retryAfterSeconds(30);
        Appliance ilb = servers.ilb(pool("m", "round-robin", backend("full", full), backend("healthy", healthy)));

        long sending = System.nanoTime();
        List<HttpResponse<String>> responses = send(ilb, 10);
        long sent = System.nanoTime();

        assertThat(responses).allSatisfy(r -> assertThat(r.statusCode()).isEqualTo(200));
        assertThat(attempts(responses.get(0))).isEqualTo(2);
        assertThat(full.inferenceRequests()).isEqualTo(1);
        // cooled for 30 s from when its 429 came, which was while the requests were sent
        assertThat(ilb.backend("full").coolingMillis(sending)).isGreaterThanOrEqualTo(30_000);
        assertThat(ilb.backend("full").coolingMillis(sent)).isLessThanOrEqualTo(30_000);
        // a 429 says "full", not "broken": the breaker does not count it
        assertThat(ilb.backend("full").breaker().getMetrics().getNumberOfFailedCalls()).isZero();
    }

    @Test
    void theRetryBudgetBoundsRetries() {
        SimulatedBackend unavailable = servers.fastBackend();
        SimulatedBackend healthy = servers.fastBackend();
        unavailable.faults().errorRate(1.0).errorStatus(503);
        // nothing saved up, nothing earned: no retries at all
        Appliance ilb = servers.ilb(pool("m", "round-robin", backend("unavailable", unavailable),
                backend("healthy", healthy)),
                "ilb.balancer.retryMaxSaved=0", "ilb.balancer.retryMinPerSecond=0", "ilb.balancer.retryPercent=0",
                "camel.component.backend.ejectAfterFailures=0");

        List<HttpResponse<String>> responses = send(ilb, 6);

        // the backend's own 503 reaches the client as it is
        assertThat(responses).allSatisfy(r -> {
            assertThat(r.statusCode()).isEqualTo(503);
            assertThat(servedBy(r)).isEqualTo("unavailable");
            assertThat(attempts(r)).isEqualTo(1);
        });
        assertThat(healthy.inferenceRequests()).isZero();
    }

    @Test
    void aClientThatLeavesBeforeTheResponseStopsTheBackendCall() throws Exception {
        // a long completion, not streamed: the backend is busy with it for 50 s
        SimulatedBackend slow = servers.backend(new SimulatorOptions().models("m").ttftMs(1).itlMs(50));
        SimulatedBackend other = servers.fastBackend();
        // not hedged: the other backend would be asked too once the slow one is past its hedge delay
        Appliance ilb = servers.ilb(pool("m", "round-robin?hedgeAfter=0", backend("slow", slow),
                backend("other", other)));
        String body = chat("m", 1000);

        try (Socket client = new Socket("127.0.0.1", Integer.parseInt(ilb.baseUrl().replaceAll(".*:", "")))) {
            client.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nhost: ilb\r\n"
                    + "authorization: Bearer " + Appliance.API_KEY + "\r\ncontent-type: application/json\r\n"
                    + "content-length: " + body.length() + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
            await().until(() -> slow.running() == 1);
        }

        // the backend connection is closed, so the server drops the sequence; nothing is retried elsewhere
        await().until(() -> slow.running() == 0 && ilb.backend("slow").inFlight() == 0);
        assertThat(other.inferenceRequests()).isZero();
        assertThat(ilb.backend("slow").breaker().getMetrics().getNumberOfFailedCalls()).isZero();
    }

    @Test
    void aTimeoutIsAnswered504AndNotRetried() {
        SimulatedBackend hanging = servers.fastBackend();
        SimulatedBackend healthy = servers.fastBackend();
        hanging.faults().hangRate(1.0);
        // not hedged, which would take the request to the healthy backend before the timeout (HedgingTest)
        Appliance ilb = servers.ilb(pool("m", "round-robin?hedgeAfter=0", backend("hanging", hanging,
                "timeout: 300ms"), backend("healthy", healthy)));

        HttpResponse<String> response = ilb.post("/v1/chat/completions", chat("m", 2));

        assertThat(response.statusCode()).isEqualTo(504);
        assertThat(response.body()).contains("\"code\":\"backend_timeout\"");
        assertThat(servedBy(response)).isEqualTo("hanging");
        assertThat(attempts(response)).isEqualTo(1);
        assertThat(healthy.inferenceRequests()).isZero();
    }
}
