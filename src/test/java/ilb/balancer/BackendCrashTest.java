package ilb.balancer;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import ilb.Appliance;
import ilb.Servers;
import ilb.simulator.SimulatedBackend;
import ilb.simulator.SimulatorOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static ilb.Appliance.attempts;
import static ilb.Appliance.chat;
import static ilb.Appliance.counts;
import static ilb.Appliance.servedBy;
import static ilb.PoolRoute.backend;
import static ilb.PoolRoute.pool;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * One of two backends dies like kill -9 in the middle of a run, with requests in flight on it: the clients see no
 * error at all. The crash comes once, when the test says: after the victim has answered its share of a first run,
 * while it holds four requests it will never answer.
 */
class BackendCrashTest {

    private static final int CLIENTS = 8;
    private static final int RUN = 200;

    private final Servers servers = new Servers();
    private final ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);

    @AfterEach
    void stop() throws Exception {
        clients.shutdownNow();
        servers.close();
    }

    @Test
    void aBackendCrashWithRequestsInFlightCostsTheClientsNothing() throws Exception {
        SimulatedBackend survivor = servers.backend(new SimulatorOptions().models("m").ttftMs(2).itlMs(1));
        SimulatedBackend victim = servers.backend(new SimulatorOptions().models("m").ttftMs(2).itlMs(1));
        // each in turn: which backend a request meets follows from the order of requests, not from their timing;
        // a written capacity above the clients' count, so that no backend is ever full (a learned limit starts at 4);
        // no hedging: a hedge of a request the victim holds would take a turn of the round (HedgingTest covers it)
        Appliance ilb = servers.ilb(pool("m", "round-robin?hedgeAfter=0",
                backend("survivor", survivor, "capacity: 16"), backend("victim", victim, "capacity: 16")));

        // before: both serve, half each
        List<String> before = outcomes(send(ilb, RUN));
        assertThat(counts(before)).containsOnly(entry("200 survivor 1", RUN / 2), entry("200 victim 1", RUN / 2));
        assertThat(victim.inferenceRequests()).isEqualTo(RUN / 2);

        // in flight: the victim takes the next requests it is given and never answers them, the survivor answers
        victim.faults().hangRate(1.0);
        List<Future<HttpResponse<String>>> inFlight = send(ilb, CLIENTS);
        await().until(() -> victim.inferenceRequests() == RUN / 2 + CLIENTS / 2
                && inFlight.stream().filter(Future::isDone).count() == CLIENTS / 2);
        // connections reset mid-request, the port refuses new ones
        victim.crash();
        // the ones it held are tried again on the survivor
        assertThat(counts(outcomes(inFlight))).containsOnly(entry("200 survivor 1", CLIENTS / 2),
                entry("200 survivor 2", CLIENTS / 2));

        // after: the survivor serves all, some requests finding out first that the victim is gone
        List<String> after = outcomes(send(ilb, RUN));
        assertThat(after).hasSize(RUN).allMatch(outcome -> outcome.startsWith("200 survivor "));
        assertThat(ilb.backend("victim").isDown()).isTrue();

        // each request reached a backend once per attempt, no more; except that a request the victim held may have
        // been sent once more on another of its pooled connections not reset yet (ilb's backend client sends a
        // request again when a reused connection breaks before any answer: a server's idle close, most often)
        assertThat(victim.inferenceRequests()).isBetween((long) RUN / 2 + CLIENTS / 2, (long) RUN / 2 + CLIENTS);
        assertThat(survivor.inferenceRequests()).isEqualTo(RUN / 2 + CLIENTS + RUN);
    }

    /** Sends {@code count} chat completions from all clients at once; one future for each. */
    private List<Future<HttpResponse<String>>> send(Appliance ilb, int count) {
        List<Future<HttpResponse<String>>> responses = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            responses.add(clients.submit(() -> ilb.post("/v1/chat/completions", chat("m", 4))));
        }
        return responses;
    }

    /** Each request's outcome: status, the backend that served it, and how many backends were tried. */
    private static List<String> outcomes(List<Future<HttpResponse<String>>> responses) throws Exception {
        List<String> outcomes = new ArrayList<>(responses.size());
        for (Future<HttpResponse<String>> future : responses) {
            HttpResponse<String> response = future.get(1, TimeUnit.MINUTES);
            outcomes.add(response.statusCode() + " " + servedBy(response) + " " + attempts(response));
        }
        return outcomes;
    }

    private static Map.Entry<String, Long> entry(String outcome, int count) {
        return Map.entry(outcome, (long) count);
    }
}
