package ilb.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import ilb.Appliance;
import ilb.PoolRoute;
import ilb.Servers;
import org.junit.jupiter.api.Test;

/** /observe/jolokia on the management port, which has no login: it reads, and runs and writes nothing. */
class ManagementJolokiaTest {

    private static final String BACKEND = "ilb:type=Backend,name=a";

    @Test
    void readsButRunsAndWritesNothing() throws Exception {
        int port = Appliance.freePort();
        try (Servers servers = new Servers()) {
            Appliance ilb = servers.ilb(PoolRoute.pool("m", "round-robin", PoolRoute.backend("a",
                    servers.fastBackend())), "camel.management.enabled=true", "camel.management.host=127.0.0.1",
                    "camel.management.port=" + port);
            JolokiaClient jolokia = JolokiaClient.anonymous("http://127.0.0.1:" + port + "/observe/jolokia");

            assertThat(jolokia.read("java.lang:type=Memory", "HeapMemoryUsage").path("status").asInt()).isEqualTo(200);
            assertThat(jolokia.read(BACKEND, "State").path("value").asText()).isEqualTo("AVAILABLE");

            assertThat(jolokia.exec("java.lang:type=Memory", "gc()").path("status").asInt()).isEqualTo(403);
            Path heapDump = Path.of("target", "management-heap.hprof").toAbsolutePath();
            assertThat(jolokia.exec("com.sun.management:type=HotSpotDiagnostic",
                    "dumpHeap(java.lang.String,boolean)", heapDump.toString(), true).path("status").asInt())
                    .isEqualTo(403);
            assertThat(heapDump).doesNotExist();
            // not even ilb's own operations: the console, behind its login, is where operators act
            assertThat(jolokia.exec(BACKEND, "drain()").path("status").asInt()).isEqualTo(403);
            assertThat(ilb.backend("a").isDrained()).isFalse();
            assertThat(jolokia.write("java.lang:type=Memory", "Verbose", true).path("status").asInt()).isEqualTo(403);
            // the command line and system properties may carry secrets
            assertThat(jolokia.read("java.lang:type=Runtime", "SystemProperties").path("status").asInt())
                    .isEqualTo(403);
        }
    }
}
