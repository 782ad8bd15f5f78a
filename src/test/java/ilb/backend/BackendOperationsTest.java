package ilb.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import javax.management.MBeanServer;
import javax.management.ObjectName;

import ilb.Appliance;
import ilb.PoolRoute;
import ilb.Servers;
import ilb.simulator.SimulatedBackend;
import ilb.simulator.SimulatorOptions;
import org.junit.jupiter.api.Test;

/** What operators see of a backend in JMX (and so in the Hawtio console), and what they may do to it. */
class BackendOperationsTest {

    private final MBeanServer jmx = ManagementFactory.getPlatformMBeanServer();

    @Test
    void aBackendShowsItsStateInJmx() throws Exception {
        try (Servers servers = new Servers()) {
            SimulatedBackend server = servers.fastBackend();
            servers.ilb(PoolRoute.pool("m", "round-robin", PoolRoute.backend("jmx-a", server, "tier: 2",
                    "weight: 3", "capacity: 7", "zone: z1", "hardware: l4")));
            ObjectName name = new ObjectName("ilb:type=Backend,name=jmx-a");
            assertThat(jmx.getAttribute(name, "Name")).isEqualTo("jmx-a");
            assertThat(jmx.getAttribute(name, "State")).isEqualTo("AVAILABLE");
            assertThat(jmx.getAttribute(name, "Capacity")).isEqualTo(7);
            assertThat(jmx.getAttribute(name, "CapacitySource")).isEqualTo("configured");
            assertThat(jmx.getAttribute(name, "Weight")).isEqualTo(3);
            assertThat(jmx.getAttribute(name, "Tier")).isEqualTo(2);
            assertThat(jmx.getAttribute(name, "Breaker")).isEqualTo("CLOSED");
            assertThat(jmx.getAttribute(name, "Health")).isEqualTo("UP");
            assertThat(jmx.getAttribute(name, "Url")).isEqualTo(server.url());
            assertThat(jmx.getAttribute(name, "Protocol")).isEqualTo("http");
            assertThat(jmx.getAttribute(name, "Zone")).isEqualTo("z1");
            assertThat(jmx.getAttribute(name, "Hardware")).isEqualTo("l4");
            assertThat(jmx.getAttribute(name, "Drained")).isEqualTo(false);
        }
        // gone with the ilb that had it
        assertThat(jmx.isRegistered(new ObjectName("ilb:type=Backend,name=jmx-a"))).isFalse();
    }

    @Test
    void aDrainedBackendGetsNoNewRequestsWhileThoseInFlightFinish() throws Exception {
        try (Servers servers = new Servers()) {
            Appliance ilb = servers.ilb(PoolRoute.pool("m", "round-robin",
                    PoolRoute.backend("drain-a", servers.backend(new SimulatorOptions().models("m").ttftMs(1).itlMs(5))),
                    PoolRoute.backend("drain-b", servers.fastBackend())));
            ObjectName a = new ObjectName("ilb:type=Backend,name=drain-a");
            // a stream on a, then a drain
            HttpResponse<InputStream> stream = null;
            for (int i = 0; i < 2 && stream == null; i++) {
                HttpResponse<InputStream> candidate = ilb.openStream("m", 40);
                if (Appliance.servedBy(candidate).equals("drain-a")) {
                    stream = candidate;
                } else {
                    candidate.body().readAllBytes();
                }
            }
            assertThat(stream).as("round-robin gave a one of two streams").isNotNull();
            jmx.invoke(a, "drain", null, null);
            assertThat(jmx.getAttribute(a, "State")).isEqualTo("DRAINED");
            assertThat(jmx.getAttribute(a, "InFlight")).isEqualTo(1);

            assertThat(Appliance.counts(ilb.servedBy(20))).isEqualTo(Map.of("drain-b", 20L));
            // the stream in flight on a finishes whole
            String events = new String(stream.body().readAllBytes());
            assertThat(events).endsWith("data: [DONE]\n\n");
            await().atMost(Duration.ofSeconds(5)).until(() -> jmx.getAttribute(a, "InFlight").equals(0));

            jmx.invoke(a, "undrain", null, null);
            assertThat(Appliance.counts(ilb.servedBy(20))).isEqualTo(Map.of("drain-a", 10L, "drain-b", 10L));
        }
    }

    @Test
    void aNewWeightChangesTheShareAtOnce() throws Exception {
        try (Servers servers = new Servers()) {
            Appliance ilb = servers.ilb(PoolRoute.pool("m", "weighted-round-robin",
                    PoolRoute.backend("weight-a", servers.fastBackend(), "weight: 1"),
                    PoolRoute.backend("weight-b", servers.fastBackend(), "weight: 1")));
            jmx.invoke(new ObjectName("ilb:type=Backend,name=weight-b"), "changeWeight", new Object[] {3},
                    new String[] {"int"});
            assertThat(Appliance.counts(ilb.servedBy(40))).isEqualTo(Map.of("weight-a", 10L, "weight-b", 30L));
            assertThatThrownBy(() -> jmx.invoke(new ObjectName("ilb:type=Backend,name=weight-b"), "changeWeight",
                    new Object[] {0}, new String[] {"int"})).hasRootCauseMessage(
                            "backend weight-b: weight and capacity must be >= 1, tier >= 0");
            assertThat(jmx.getAttribute(new ObjectName("ilb:type=Backend,name=weight-b"), "Weight")).isEqualTo(3);
        }
    }

    @Test
    void anEjectedBackendGetsNoRequestsUntilAnOperatorResetsIt() throws Exception {
        try (Servers servers = new Servers()) {
            SimulatedBackend flaky = servers.fastBackend();
            Appliance ilb = servers.ilb(PoolRoute.pool("m", "round-robin",
                    PoolRoute.backend("reset-a", flaky, "healthPath: "),
                    PoolRoute.backend("reset-b", servers.fastBackend())),
                    "camel.component.backend.ejectAfterFailures=3");
            ObjectName a = new ObjectName("ilb:type=Backend,name=reset-a");
            flaky.faults().errorRate(1).errorStatus(502);
            // round-robin offers a every other request; each of its 502s is retried on b
            for (int i = 0; i < 6; i++) {
                assertThat(ilb.post("/v1/chat/completions", Appliance.chat("m", 2)).statusCode()).isEqualTo(200);
            }
            assertThat(flaky.inferenceRequests()).isEqualTo(3);
            assertThat(jmx.getAttribute(a, "State")).isEqualTo("EJECTED");
            assertThat((String) jmx.getAttribute(a, "Health")).startsWith("EJECTED for 10 s more: 3 failures in a row");
            assertThat(Appliance.counts(ilb.servedBy(10))).isEqualTo(Map.of("reset-b", 10L));
            assertThat(flaky.inferenceRequests()).isEqualTo(3);

            flaky.faults().errorRate(0);
            jmx.invoke(a, "resetBreaker", null, null);
            assertThat(jmx.getAttribute(a, "State")).isEqualTo("AVAILABLE");
            assertThat(Appliance.counts(ilb.servedBy(10))).isEqualTo(Map.of("reset-a", 5L, "reset-b", 5L));
        }
    }

    @Test
    void aPoolWhoseBackendsAreAllEjectedStillTriesThem() throws Exception {
        try (Servers servers = new Servers()) {
            SimulatedBackend flaky = servers.fastBackend();
            Appliance ilb = servers.ilb(PoolRoute.pool("m", "round-robin",
                    PoolRoute.backend("panic-a", flaky, "healthPath: ")),
                    "camel.component.backend.ejectAfterFailures=2");
            flaky.faults().errorRate(1).errorStatus(502);
            for (int i = 0; i < 2; i++) {
                assertThat(ilb.post("/v1/chat/completions", Appliance.chat("m", 2)).statusCode()).isEqualTo(502);
            }
            assertThat(jmx.getAttribute(new ObjectName("ilb:type=Backend,name=panic-a"), "State")).isEqualTo("EJECTED");
            // better an ejected backend than no answer: it has recovered, and serves
            flaky.faults().errorRate(0);
            assertThat(ilb.post("/v1/chat/completions", Appliance.chat("m", 2)).statusCode()).isEqualTo(200);
            assertThat(flaky.inferenceRequests()).isEqualTo(3);
        }
    }

    @Test
    void aHealthCheckRunsWhenAnOperatorAsks() throws Exception {
        try (Servers servers = new Servers()) {
            SimulatedBackend server = servers.fastBackend();
            servers.ilb(PoolRoute.pool("m", "round-robin", PoolRoute.backend("check-a", server,
                    "healthInterval: 1h")));
            ObjectName a = new ObjectName("ilb:type=Backend,name=check-a");
            assertThat(jmx.invoke(a, "checkHealthNow", null, null)).isEqualTo("healthy: /health answered 200; backend UP");
            server.crash();
            // two failed checks in a row take it down
            List<Object> found = List.of(jmx.invoke(a, "checkHealthNow", null, null),
                    jmx.invoke(a, "checkHealthNow", null, null));
            assertThat(found.get(0)).as("%s", found).isEqualTo("unhealthy: connection refused (1 of 2 failed checks "
                    + "in a row that take it out); backend UP");
            assertThat(found.get(1)).as("%s", found).isEqualTo("unhealthy: connection refused (2 of 2 failed checks "
                    + "in a row that take it out); backend DOWN: connection refused");
            assertThat(jmx.getAttribute(a, "State")).isEqualTo("DOWN");
        }
    }
}
