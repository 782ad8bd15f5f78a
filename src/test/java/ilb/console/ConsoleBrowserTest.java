package ilb.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.node.ObjectNode;
import ilb.Appliance;
import ilb.PoolRoute;
import ilb.Servers;
import ilb.inference.Protocol;
import ilb.simulator.SimulatedBackend;
import ilb.simulator.SimulatorOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The console as an operator uses it: ilb with three backends (one over gRPC) and the console on, a real headless
 * Chromium that logs in, sees the routes and the backends and drains one (src/test/browser/console.mjs); then no
 * request reaches the drained backend. And what the console's Jolokia refuses: anyone not logged in, the JVM's own operations even to an
 * admin, any change to a viewer, connections to other hosts (its JSR-160 proxy) to anyone, and other sites' pages.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConsoleBrowserTest {

    private static final Path DIR = Path.of("target", "console-test");
    private static final String ADMIN = "ops";
    private static final String ADMIN_PASSWORD = "ops-password-1";
    private static final String VIEWER = "watcher";
    private static final String VIEWER_PASSWORD = "watcher-password-1";

    private final Servers servers = new Servers();
    private SimulatedBackend a;
    private Appliance ilb;
    private String consoleUrl;
    private String origin;

    @BeforeAll
    void startIlbWithTheConsole() throws Exception {
        Files.createDirectories(DIR);
        UsersFile users = new UsersFile(DIR.resolve("users.properties"));
        Files.deleteIfExists(users.path());
        users.put(ConsoleUser.withPassword(ADMIN, ADMIN_PASSWORD.toCharArray(), Set.of(ConsoleRole.ADMIN)));
        users.put(ConsoleUser.withPassword(VIEWER, VIEWER_PASSWORD.toCharArray(), Set.of(ConsoleRole.VIEWER)));

        a = servers.fastBackend();
        SimulatedBackend b = servers.fastBackend();
        int port = Appliance.freePort();
        SimulatedBackend g = servers.backend(new SimulatorOptions().protocol(Protocol.GRPC).models("r"));
        ilb = servers.ilb(PoolRoute.pool("m", "round-robin", PoolRoute.backend("a", a), PoolRoute.backend("b", b))
                        + PoolRoute.pool("r", "round-robin", PoolRoute.backend("g", g)),
                "ilb.console.enabled=true", "ilb.console.host=127.0.0.1", "ilb.console.port=" + port,
                "ilb.console.users=" + users.path());
        consoleUrl = "http://127.0.0.1:" + port + "/hawtio/";
        origin = JolokiaClient.originOf(consoleUrl);
    }

    @AfterAll
    void stop() throws Exception {
        servers.close();
    }

    @Test
    void anOperatorDrainsABackendInTheConsoleAndNoNewRequestReachesIt() throws Exception {
        // round-robin: both serve while neither is drained
        assertThat(Appliance.counts(ilb.servedBy(10))).containsOnlyKeys("a", "b");
        Path screenshot = Path.of("target", "console-backends.png");
        Files.deleteIfExists(screenshot);

        BrowserScript.Run browser = BrowserScript.run("console.mjs", Map.of(
                "CONSOLE_URL", consoleUrl,
                "CONSOLE_USER", ADMIN,
                "CONSOLE_PASSWORD", ADMIN_PASSWORD,
                "ROUTES", "pool-m,http-api",
                "BACKENDS", "a,b,g",
                "DRAIN", "a",
                "SCREENSHOT", screenshot.toAbsolutePath().toString(),
                "PROFILE", DIR.resolve("chromium-profile").toAbsolutePath().toString()),
                DIR.resolve("browser.log"));

        assertThat(browser.exitCode()).as(browser.output()).isZero();
        assertThat(browser.output()).contains("ok: logs in as ops", "ok: the Camel view shows the routes pool-m,http-api",
                "ok: drains a from its Operations tab");
        assertThat(screenshot).isNotEmptyFile();
        assertThat(ilb.backend("a").isDrained()).isTrue();

        long reachedA = a.inferenceRequests();
        List<String> served = ilb.servedBy(20);
        assertThat(served).hasSize(20).containsOnly("b");
        assertThat(a.inferenceRequests()).isEqualTo(reachedA);
    }

    @Test
    void jolokiaAnswersNoOneWhoIsNotLoggedIn() {
        JolokiaClient anonymous = JolokiaClient.anonymous(consoleUrl + "jolokia").from(origin);
        assertThat(anonymous.send(JolokiaClient.request("read", "ilb:type=Backend,name=b").put("attribute", "State"))
                .statusCode()).isIn(401, 403);
        JolokiaClient wrongPassword = JolokiaClient.as(consoleUrl + "jolokia", ADMIN, VIEWER_PASSWORD).from(origin);
        assertThat(wrongPassword.send(JolokiaClient.request("exec", "ilb:type=Backend,name=b")
                .put("operation", "drain()")).statusCode()).isIn(401, 403);
        assertThat(ilb.backend("b").isDrained()).isFalse();
    }

    @Test
    void anAdminRunsIlbsOperationsButNotTheJvms() {
        JolokiaClient admin = JolokiaClient.as(consoleUrl + "jolokia", ADMIN, ADMIN_PASSWORD).from(origin);

        assertThat(admin.read("ilb:type=Backend,name=b", "Health").path("status").asInt()).isEqualTo(200);
        assertThat(admin.exec("ilb:type=Backend,name=b", "checkHealthNow()").path("status").asInt()).isEqualTo(200);

        assertThat(admin.exec("java.lang:type=Memory", "gc()").path("status").asInt()).isEqualTo(403);
        Path heapDump = DIR.resolve("heap.hprof").toAbsolutePath();
        assertThat(admin.exec("com.sun.management:type=HotSpotDiagnostic", "dumpHeap(java.lang.String,boolean)",
                heapDump.toString(), true).path("status").asInt()).isEqualTo(403);
        assertThat(heapDump).doesNotExist();
        assertThat(admin.write("java.lang:type=Memory", "Verbose", true).path("status").asInt()).isEqualTo(403);
        assertThat(admin.read("java.lang:type=Runtime", "SystemProperties").path("status").asInt()).isEqualTo(403);
        // the routes as the console shows them, but not with their placeholders resolved (secrets)
        String context = "org.apache.camel:context=ilb,type=context,name=\"ilb\"";
        assertThat(admin.exec(context, "dumpRoutesAsXml()").path("status").asInt()).isEqualTo(200);
        assertThat(admin.exec(context, "dumpRoutesAsXml(boolean,boolean)", true, false).path("status").asInt())
                .isEqualTo(403);
    }

    @Test
    void aViewerReadsButChangesNothing() {
        JolokiaClient viewer = JolokiaClient.as(consoleUrl + "jolokia", VIEWER, VIEWER_PASSWORD).from(origin);

        assertThat(viewer.read("ilb:type=Backend,name=b", "State").path("status").asInt()).isEqualTo(200);
        assertThat(viewer.read("ilb:type=Backend,name=b", "Protocol").path("value").asText()).isEqualTo("http");
        assertThat(viewer.read("ilb:type=Backend,name=g", "Protocol").path("value").asText()).isEqualTo("grpc");
        assertThat(viewer.exec("ilb:type=Backend,name=b", "drain()").path("status").asInt()).isEqualTo(403);
        assertThat(viewer.exec("ilb:type=Backend,name=b", "changeWeight(int)", 5).path("status").asInt()).isEqualTo(403);
        assertThat(ilb.backend("b").isDrained()).isFalse();
    }

    @Test
    void noUserMakesIlbConnectToAnotherJmxServer() throws Exception {
        JolokiaClient admin = JolokiaClient.as(consoleUrl + "jolokia", ADMIN, ADMIN_PASSWORD).from(origin);
        JolokiaClient viewer = JolokiaClient.as(consoleUrl + "jolokia", VIEWER, VIEWER_PASSWORD).from(origin);
        try (ServerSocketChannel jmx = ServerSocketChannel.open()
                        .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            ObjectNode proxied = JolokiaClient.request("read", "java.lang:type=Memory")
                    .put("attribute", "HeapMemoryUsage");
            proxied.putObject("target").put("url", "service:jmx:rmi:///jndi/rmi://127.0.0.1:"
                    + jmx.socket().getLocalPort() + "/jmxrmi");
            int sent = 0;
            for (JolokiaClient user : List.of(viewer, admin)) {
                HttpResponse<String> answer = user.send(proxied);
                sent++;
                assertThat(answer.statusCode()).isEqualTo(403);
                assertThat(answer.body()).contains("proxy requests (target) are not served");
                // nor hidden in a bulk request beside a plain read
                HttpResponse<String> bulk = user.send(JolokiaClient.bulk(JolokiaClient.request("read",
                        "ilb:type=Backend,name=b").put("attribute", "State"), proxied));
                sent++;
                assertThat(bulk.statusCode()).isEqualTo(403);
            }
            assertThat(sent).isEqualTo(4);
            assertThat(viewer.read("java.lang:type=Memory", "HeapMemoryUsage").path("status").asInt()).isEqualTo(200);

            // a connection ilb opened for a request would be in the backlog before its answer came: none is
            jmx.configureBlocking(false);
            assertThat(jmx.accept()).isNull();
        }
    }

    @Test
    void anotherSitesPageIsRefusedAndNotToldItMayRead() {
        JolokiaClient own = JolokiaClient.as(consoleUrl + "jolokia", ADMIN, ADMIN_PASSWORD).from(origin);
        HttpResponse<String> ownAnswer = own.send(JolokiaClient.request("read", "ilb:type=Backend,name=b")
                .put("attribute", "State"));
        assertThat(ownAnswer.statusCode()).isEqualTo(200);
        assertThat(ownAnswer.body()).contains("\"status\":200");

        JolokiaClient evil = JolokiaClient.as(consoleUrl + "jolokia", ADMIN, ADMIN_PASSWORD)
                .from("http://evil.example");
        HttpResponse<String> answer = evil.send(JolokiaClient.request("exec", "ilb:type=Backend,name=b")
                .put("operation", "drain()"));
        assertThat(answer.headers().allValues("access-control-allow-origin")).doesNotContain("http://evil.example",
                "*");
        assertThat(answer.body()).contains("\"status\":403").contains("http://evil.example");
        assertThat(ilb.backend("b").isDrained()).isFalse();
        // strict checking: a request that says no origin at all is refused too (a script sends the console's)
        JolokiaClient noOrigin = JolokiaClient.as(consoleUrl + "jolokia", ADMIN, ADMIN_PASSWORD);
        assertThat(noOrigin.send(JolokiaClient.request("read", "ilb:type=Backend,name=b").put("attribute", "State"))
                .body()).contains("\"status\":403");
    }
}
