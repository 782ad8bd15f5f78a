package ilb.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.util.Arrays;

import javax.management.MBeanServer;
import javax.management.ObjectName;

import ilb.Appliance;
import ilb.PoolRoute;
import ilb.Servers;
import ilb.simulator.SimulatedBackend;
import org.junit.jupiter.api.Test;

/** Each running pool as JMX (and the console's Inference view) reads it: ilb:type=Pool,name=<route id>. */
class PoolMBeansTest {

    private final MBeanServer jmx = ManagementFactory.getPlatformMBeanServer();

    @Test
    void aPoolShowsItsModelVersionPolicyBackendsAndTheirLastMinuteUntilItsRouteStops() throws Exception {
        try (Servers servers = new Servers()) {
            SimulatedBackend a = servers.fastBackend();
            SimulatedBackend b = servers.fastBackend();
            Appliance ilb = servers.ilb(PoolRoute.route("pool-m-2", "model:m?version=2&aliases=mm",
                    "", "least-request", PoolRoute.backend("b", b, "tier: 1", "capacity: 3"),
                    PoolRoute.backend("a", a, "capacity: 5")));
            ObjectName pool = new ObjectName("ilb:type=Pool,name=pool-m-2");

            assertThat(jmx.getAttribute(pool, "Model")).isEqualTo("m");
            assertThat(jmx.getAttribute(pool, "Aliases")).isEqualTo(new String[] {"mm"});
            assertThat(jmx.getAttribute(pool, "Version")).isEqualTo("2");
            assertThat(jmx.getAttribute(pool, "Stage")).isEqualTo("production");
            assertThat(jmx.getAttribute(pool, "Policy")).isEqualTo("least-request");
            // lowest tier first
            assertThat(jmx.getAttribute(pool, "Backends")).isEqualTo(new String[] {"a", "b"});
            assertThat(jmx.getAttribute(pool, "Capacity")).isEqualTo(8);
            assertThat(jmx.getAttribute(pool, "BackendsInRotation")).isEqualTo(2);
            assertThat(jmx.getAttribute(pool, "Queued")).isEqualTo(0);

            // and its backends' last minute: every attempt counted, with its time to first token
            assertThat(ilb.servedBy(6)).hasSize(6);
            long attempts = 0;
            for (String backend : new String[] {"a", "b"}) {
                ObjectName name = new ObjectName("ilb:type=Backend,name=" + backend);
                attempts += Arrays.stream((long[]) jmx.getAttribute(name, "AttemptsPerSlice")).sum();
            }
            assertThat(attempts).isEqualTo(6);
            ObjectName backendA = new ObjectName("ilb:type=Backend,name=a");
            assertThat((double) jmx.getAttribute(backendA, "TtftP50Millis")).isPositive();
            assertThat((double) jmx.getAttribute(backendA, "TtftP99Millis"))
                    .isGreaterThanOrEqualTo((double) jmx.getAttribute(backendA, "TtftP50Millis"));
            assertThat(jmx.getAttribute(backendA, "ErrorRate")).isEqualTo(0.0);

            ilb.backend("a").drain();
            assertThat(jmx.getAttribute(pool, "Capacity")).isEqualTo(3);

            ilb.context().getRouteController().stopRoute("pool-m-2");
            assertThat(jmx.isRegistered(pool)).isFalse();
        }
    }
}
