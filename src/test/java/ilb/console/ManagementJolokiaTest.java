package ilb.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Path;

import com.fasterxml.jackson.databind.node.ObjectNode;
import ilb.Appliance;
import ilb.PoolRoute;
import ilb.Servers;
import org.junit.jupiter.api.Test;

/**
 * /observe/jolokia on the management port, which has no login: it reads, and runs and writes nothing; it connects to
 * no other JMX server, and answers no web page.
 */
class ManagementJolokiaTest {

    private static final String BACKEND = "ilb:type=Backend,name=a";
    private String url;

    @Test
    void readsButRunsAndWritesNothing() throws Exception {
        try (Servers servers = new Servers()) {
            Appliance ilb = ilbWithManagementPort(servers);
            JolokiaClient jolokia = JolokiaClient.anonymous(url);

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

    @Test
    void connectsToNoOtherJmxServer() throws Exception {
        try (Servers servers = new Servers();
                ServerSocketChannel jmx = ServerSocketChannel.open()
                        .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            ilbWithManagementPort(servers);
            JolokiaClient jolokia = JolokiaClient.anonymous(url);
            ObjectNode proxied = JolokiaClient.request("read", "java.lang:type=Memory")
                    .put("attribute", "HeapMemoryUsage");
            proxied.putObject("target").put("url", "service:jmx:rmi:///jndi/rmi://127.0.0.1:"
                    + jmx.socket().getLocalPort() + "/jmxrmi");

            HttpResponse<String> answer = jolokia.send(proxied);
            assertThat(answer.statusCode()).isEqualTo(403);
            assertThat(answer.body()).contains("proxy requests (target) are not served");
            assertThat(jolokia.send(JolokiaClient.bulk(JolokiaClient.request("read", BACKEND).put("attribute", "State"),
                    proxied)).statusCode()).isEqualTo(403);
            assertThat(jolokia.read(BACKEND, "State").path("value").asText()).isEqualTo("AVAILABLE");

            // a connection ilb opened for a request would be in the backlog before its answer came: none is
            jmx.configureBlocking(false);
            assertThat(jmx.accept()).isNull();
        }
    }

    @Test
    void answersNoWebPage() throws Exception {
        try (Servers servers = new Servers()) {
            ilbWithManagementPort(servers);
            for (String origin : new String[] {"http://evil.example", url.replace("/observe/jolokia", "")}) {
                HttpResponse<String> answer = JolokiaClient.anonymous(url).from(origin)
                        .send(JolokiaClient.request("read", BACKEND).put("attribute", "State"));
                assertThat(answer.statusCode()).as(origin).isEqualTo(403);
                assertThat(answer.headers().firstValue("access-control-allow-origin")).as(origin).isEmpty();
                assertThat(answer.body()).as(origin).doesNotContain("AVAILABLE");
            }
        }
    }

    private Appliance ilbWithManagementPort(Servers servers) {
        int port = Appliance.freePort();
        url = "http://127.0.0.1:" + port + "/observe/jolokia";
        return servers.ilb(PoolRoute.pool("m", "round-robin", PoolRoute.backend("a", servers.fastBackend())),
                "camel.management.enabled=true", "camel.management.host=127.0.0.1", "camel.management.port=" + port);
    }
}
