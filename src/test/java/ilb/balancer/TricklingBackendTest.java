package ilb.balancer;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import ilb.Appliance;
import ilb.RawBackend;
import ilb.Servers;
import ilb.backend.Backend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static ilb.Appliance.chat;
import static ilb.PoolRoute.backend;
import static ilb.PoolRoute.pool;
import static ilb.PoolRoute.route;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A backend that trickles its response a byte at a time is never silent, yet never done: the deadline ends the
 * call (504, the backend's timeout) and frees its place and its connection.
 */
class TricklingBackendTest {

    private final Servers servers = new Servers();

    @AfterEach
    void stop() throws Exception {
        servers.close();
    }

    /** Sends one chat completion, bounded: without a deadline the trickle would last far longer than this. */
    private static HttpResponse<String> chatWithin(Appliance ilb, Duration bound) {
        return ilb.send(ilb.request("/v1/chat/completions").timeout(bound).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(chat("m", 2))).build());
    }

    /** @param blamed whether the backend's breaker counts the cut-off call as its failure */
    private static void assertCutOff(Appliance ilb, RawBackend trickling, HttpResponse<String> response,
            boolean blamed) {
        assertThat(response.statusCode()).isEqualTo(504);
        assertThat(response.body()).contains("deadline");
        Backend backend = ilb.backend("trickling");
        await().until(() -> backend.inFlight() == 0 && trickling.connectionsClosed() == 1);
        assertThat(trickling.requestLines()).hasSize(1);
        assertThat(backend.breaker().getMetrics().getNumberOfFailedCalls()).isEqualTo(blamed ? 1 : 0);
    }

    @Test
    void theBackendsDeadlineEndsATrickle() {
        RawBackend trickling = servers.raw(RawBackend.TRICKLE);
        Appliance ilb = servers.ilb(pool("m", "round-robin", backend("trickling", trickling.url(),
                "healthPath: ", "metricsPath: ", "timeout: 30s", "deadline: 2s")));

        // slow past its own deadline is the backend's fault: it counts as its timeout
        assertCutOff(ilb, trickling, chatWithin(ilb, Duration.ofSeconds(60)), true);
    }

    @Test
    void theRequestsOwnDeadlineEndsATrickleToo() {
        RawBackend trickling = servers.raw(RawBackend.TRICKLE);
        // the backend's own deadline is the default (10 minutes); the request's is 2 s from reaching its pool
        Appliance ilb = servers.ilb(route("pool-m", "model:m", """
                        - setProperty:
                            name: ilb.deadlineNanos
                            expression:
                              method:
                                beanType: ilb.balancer.TricklingBackendTest$InTwoSeconds
                                method: deadline
                """, "round-robin", backend("trickling", trickling.url(), "healthPath: ", "metricsPath: ",
                "timeout: 30s")));

        // the request ran out of its own time, shorter than the backend's: that says nothing of the backend
        assertCutOff(ilb, trickling, chatWithin(ilb, Duration.ofSeconds(60)), false);
    }

    /** Gives a request a deadline of its own, as a batch job's share of its poll would. */
    public static final class InTwoSeconds {
        public Long deadline() {
            return System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        }
    }
}
