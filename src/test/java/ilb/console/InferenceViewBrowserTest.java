package ilb.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import javax.management.ObjectName;

import ilb.Appliance;
import ilb.PoolRoute;
import ilb.Servers;
import ilb.simulator.DemoFleet;
import ilb.simulator.SimulatedBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The console's Inference view as operators use it, on the demo's pools (routes/pool-llama.yaml and
 * routes/pool-resnet.yaml, their servers the demo fleet's on free ports) in a real headless Chromium
 * (src/test/browser/inference.mjs): an admin sees the pools, their backends by tier and the batch intake, and drains a
 * backend with its button, after which no request reaches it, and changes a canary's weight; a viewer sees the same
 * and gets no button at all.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class InferenceViewBrowserTest {

    private static final Path DIR = Path.of("target", "inference-view-test");
    private static final String ADMIN = "ops";
    private static final String ADMIN_PASSWORD = "ops-password-1";
    private static final String VIEWER = "watcher";
    private static final String VIEWER_PASSWORD = "watcher-password-1";
    private static final String POOLS = "pool-llama,pool-resnet,pool-m-v1,pool-m-v2";
    private static final String BACKENDS = "gpu-0,gpu-1,cpu-0,triton-0,triton-grpc-0,m-v1,m-v2";
    private static final String DRAINED = "gpu-0";

    private final Servers servers = new Servers();
    /** The demo's servers, by the port the demo's route files give them. */
    private final Map<Integer, SimulatedBackend> fleet = new HashMap<>();
    private Appliance ilb;
    private String consoleUrl;

    @BeforeAll
    void startIlbWithTheDemosPools() throws Exception {
        Files.createDirectories(DIR);
        UsersFile users = new UsersFile(DIR.resolve("users.properties"));
        Files.deleteIfExists(users.path());
        users.put(ConsoleUser.withPassword(ADMIN, ADMIN_PASSWORD.toCharArray(), Set.of(ConsoleRole.ADMIN)));
        users.put(ConsoleUser.withPassword(VIEWER, VIEWER_PASSWORD.toCharArray(), Set.of(ConsoleRole.VIEWER)));

        DemoFleet.members().forEach((port, options) -> fleet.put(port, servers.backend(options.port(0))));
        String routes = Files.readString(Path.of("routes", "pool-llama.yaml")) + "\n"
                + Files.readString(Path.of("routes", "pool-resnet.yaml"));
        for (Map.Entry<Integer, SimulatedBackend> server : fleet.entrySet()) {
            routes = routes.replace("127.0.0.1:" + server.getKey() + "\"", "127.0.0.1:" + server.getValue().port() + "\"");
        }
        // and a model with a canary, whose weight the admin changes
        SimulatedBackend stable = servers.fastBackend();
        SimulatedBackend canary = servers.fastBackend();
        routes += PoolRoute.route("pool-m-v1", "model:m?version=1&weight=95", "", "round-robin",
                PoolRoute.backend("m-v1", stable))
                + PoolRoute.route("pool-m-v2", "model:m?version=2&weight=5&stage=experimental", "", "round-robin",
                PoolRoute.backend("m-v2", canary));
        int port = Appliance.freePort();
        ilb = servers.ilb(routes, "ilb.console.enabled=true", "ilb.console.host=127.0.0.1",
                "ilb.console.port=" + port, "ilb.console.users=" + users.path());
        consoleUrl = "http://127.0.0.1:" + port + "/hawtio/";
    }

    @AfterAll
    void stop() throws Exception {
        servers.close();
    }

    @Test
    void anAdminSeesTheDemosPoolsAndDrainsABackendFromTheViewAndNoRequestReachesIt() throws Exception {
        SimulatedBackend gpu0 = fleet.get(9101);

        BrowserScript.Run browser = run(ADMIN, ADMIN_PASSWORD, DRAINED, "inference-admin");

        assertThat(browser.exitCode()).as(browser.output()).isZero();
        assertThat(browser.output()).contains("ok: the navigation has Inference",
                "ok: the view shows the pools " + POOLS, "ok: drains " + DRAINED + " with its button",
                "ok: sets the canary weight of m version 2 to 50", "ok: nothing was loaded from outside the console");
        assertThat(ManagementFactory.getPlatformMBeanServer().getAttribute(
                new ObjectName("ilb:type=ModelVersion,model=m,version=2"), "Weight")).isEqualTo(50);
        assertThat(ilb.backend(DRAINED).isDrained()).isTrue();
        long reached = gpu0.inferenceRequests();
        List<String> served = ilb.servedBy("llama3", 20);
        assertThat(served).hasSize(20).doesNotContain(DRAINED);
        assertThat(gpu0.inferenceRequests()).isEqualTo(reached);
    }

    @Test
    void aViewerSeesThePoolsAndBackendsButGetsNoActionButtons() throws Exception {
        Map<String, Boolean> drainedBefore = drained();

        BrowserScript.Run browser = run(VIEWER, VIEWER_PASSWORD, "", "inference-viewer");

        assertThat(browser.exitCode()).as(browser.output()).isZero();
        assertThat(browser.output()).contains("ok: the view shows the backends " + BACKENDS,
                "ok: a viewer gets no button that changes anything");
        assertThat(drained()).isEqualTo(drainedBefore);
    }

    private Map<String, Boolean> drained() {
        Map<String, Boolean> drained = new HashMap<>();
        for (String id : BACKENDS.split(",")) {
            drained.put(id, ilb.backend(id).isDrained());
        }
        return drained;
    }

    private BrowserScript.Run run(String user, String password, String drain, String name) throws Exception {
        Path screenshot = Path.of("target", name + ".png");
        Files.deleteIfExists(screenshot);
        BrowserScript.Run run = BrowserScript.run("inference.mjs", Map.of(
                "CONSOLE_URL", consoleUrl,
                "CONSOLE_USER", user,
                "CONSOLE_PASSWORD", password,
                "POOLS", POOLS,
                "BACKENDS", BACKENDS,
                "DRAIN", drain,
                "CANARY", "pool-m-v2/m/2/50",
                "SCREENSHOT", screenshot.toAbsolutePath().toString(),
                "PROFILE", DIR.resolve(name + "-profile").toAbsolutePath().toString()),
                DIR.resolve(name + ".log"));
        if (run.exitCode() == 0) {
            assertThat(screenshot).isNotEmptyFile();
        }
        return run;
    }
}
