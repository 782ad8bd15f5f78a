package ilb.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

import ilb.Appliance;
import ilb.PoolRoute;
import ilb.Servers;
import org.junit.jupiter.api.Test;

/**
 * A model version's share changes live in the console: an admin changes a canary weight and a shadow share through
 * the console's Jolokia, a viewer sees them and may change neither.
 */
class ModelVersionConsoleTest {

    private static final Path DIR = Path.of("target", "console-versions-test");
    private static final String MBEAN = "ilb:type=ModelVersion,model=m,version=v2";

    @Test
    void anAdminChangesAVersionsWeightAndShadowShareAndAViewerOnlySeesThem() throws Exception {
        Files.createDirectories(DIR);
        UsersFile users = new UsersFile(DIR.resolve("users.properties"));
        Files.deleteIfExists(users.path());
        users.put(ConsoleUser.withPassword("ops", "ops-password-1".toCharArray(), Set.of(ConsoleRole.ADMIN)));
        users.put(ConsoleUser.withPassword("watcher", "watcher-password-1".toCharArray(), Set.of(ConsoleRole.VIEWER)));
        int port = Appliance.freePort();
        try (Servers servers = new Servers()) {
            servers.ilb(PoolRoute.route("m-v1", "model:m?version=v1&weight=95", "", "round-robin",
                    PoolRoute.backend("a", servers.fastBackend()))
                    + PoolRoute.route("m-v2", "model:m?version=v2&weight=5&stage=experimental", "", "round-robin",
                            PoolRoute.backend("b", servers.fastBackend())),
                    "ilb.console.enabled=true", "ilb.console.host=127.0.0.1", "ilb.console.port=" + port,
                    "ilb.console.users=" + users.path());
            String url = "http://127.0.0.1:" + port + "/hawtio/jolokia";
            JolokiaClient admin = JolokiaClient.as(url, "ops", "ops-password-1").from(JolokiaClient.originOf(url));
            JolokiaClient viewer = JolokiaClient.as(url, "watcher", "watcher-password-1")
                    .from(JolokiaClient.originOf(url));

            assertThat(viewer.read(MBEAN, "Weight").path("value").asInt()).isEqualTo(5);
            assertThat(viewer.read(MBEAN, "Stage").path("value").asText()).isEqualTo("experimental");
            assertThat(viewer.exec(MBEAN, "changeWeight(int)", 50).path("status").asInt()).isEqualTo(403);
            assertThat(viewer.exec(MBEAN, "changeShadow(double)", 0.5).path("status").asInt()).isEqualTo(403);
            assertThat(admin.read(MBEAN, "Weight").path("value").asInt()).isEqualTo(5);

            assertThat(admin.exec(MBEAN, "changeWeight(int)", 0).path("status").asInt()).isEqualTo(200);
            assertThat(admin.exec(MBEAN, "changeShadow(double)", 0.25).path("status").asInt()).isEqualTo(200);
            assertThat(admin.read(MBEAN, "Weight").path("value").asInt()).isZero();
            assertThat(admin.read(MBEAN, "Shadow").path("value").asDouble()).isEqualTo(0.25);
            // no attribute is written, even by an admin: operations only
            assertThat(admin.write(MBEAN, "Weight", 7).path("status").asInt()).isEqualTo(403);
        }
    }
}
