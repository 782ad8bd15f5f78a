package ilb.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;

import ilb.Appliance;
import ilb.PoolRoute;
import ilb.Servers;
import org.junit.jupiter.api.Test;

/** The console's switches that are not the default: no login (local development), and a port already taken. */
class ConsoleSwitchesTest {

    @Test
    void withoutLoginAnyoneReadsButThePolicyStillHolds() throws Exception {
        int port = Appliance.freePort();
        try (Servers servers = new Servers()) {
            servers.ilb(PoolRoute.pool("m", "round-robin", PoolRoute.backend("a", servers.fastBackend())),
                    "ilb.console.enabled=true", "ilb.console.host=127.0.0.1", "ilb.console.port=" + port,
                    "ilb.console.authenticationEnabled=false");
            String url = "http://127.0.0.1:" + port + "/hawtio/jolokia";
            JolokiaClient anyone = JolokiaClient.anonymous(url).from(JolokiaClient.originOf(url));

            assertThat(anyone.read("ilb:type=Backend,name=a", "State").path("value").asText()).isEqualTo("AVAILABLE");
            assertThat(anyone.exec("java.lang:type=Memory", "gc()").path("status").asInt()).isEqualTo(403);
        }
    }

    @Test
    void aConsoleThatCannotStartLeavesIlbServing() throws Exception {
        try (Servers servers = new Servers();
                ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Appliance ilb = servers.ilb(PoolRoute.pool("m", "round-robin", PoolRoute.backend("a",
                    servers.fastBackend())), "ilb.console.enabled=true", "ilb.console.host=127.0.0.1",
                    "ilb.console.port=" + taken.getLocalPort(),
                    "ilb.console.users=" + Path.of("target", "console-test", "taken-port-users.properties"));

            assertThat(ilb.servedBy(3)).containsOnly("a");
        }
    }
}
