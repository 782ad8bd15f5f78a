package ilb.routing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import ilb.Appliance;
import ilb.Servers;
import ilb.Traffic;
import ilb.simulator.SimulatedBackend;
import ilb.simulator.SimulatorOptions;
import org.apache.camel.Route;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static ilb.Appliance.chat;
import static ilb.Appliance.counts;
import static ilb.Appliance.servedBy;
import static ilb.PoolRoute.backend;
import static ilb.PoolRoute.pool;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Route files in a Kubernetes ConfigMap volume reload when the ConfigMap changes: the volume's layout and its update
 * (a new timestamped directory, {@code ..data} renamed over atomically) as the kubelet makes them.
 */
class ConfigMapReloadTest {

    private final Servers servers = new Servers();
    @TempDir
    Path volume;
    private int versions;

    @AfterEach
    void stop() throws Exception {
        servers.close();
    }

    @Test
    void aPoolRouteChangedInItsConfigMapIsReloadedDuringTrafficLosingNoRequest() throws Exception {
        // 50 ms per request: some are always in flight when the old route is replaced
        SimulatedBackend before = servers.backend(new SimulatorOptions().models("m").ttftMs(50).itlMs(1));
        SimulatedBackend after = servers.backend(new SimulatorOptions().models("m").ttftMs(50).itlMs(1));
        publish(Map.of("pool.yaml", pool("m", "round-robin", backend("before", before))));
        Appliance ilb = start();

        try (Traffic traffic = new Traffic(ilb, 4)) {
            await().until(() -> traffic.seen() >= 40);

            publish(Map.of("pool.yaml", pool("m", "round-robin", backend("after", after))));

            await().atMost(30, TimeUnit.SECONDS).until(() -> traffic.served("after") >= 40);
            List<String> all = traffic.stop();
            assertThat(all).allMatch(outcome -> outcome.startsWith("200 "), "every request succeeded");
            assertThat(counts(all)).containsOnlyKeys("200 before", "200 after");
        }
    }

    @Test
    void aFileAddedToTheConfigMapIsLoadedOneRemovedLosesItsRoutesAndAnUnchangedOneIsLeftAlone() throws Exception {
        SimulatedBackend server = servers.backend(new SimulatorOptions().models("m", "gone", "added").ttftMs(1)
                .itlMs(1));
        String unchanged = pool("m", "round-robin", backend("m-0", server));
        publish(Map.of("pool.yaml", unchanged, "gone.yaml", pool("gone", "round-robin", backend("gone-0", server))));
        Appliance ilb = start("ilb.routes.reloadGraceMillis=200");
        assertThat(ilb.post("/v1/chat/completions", chat("gone", 2)).statusCode()).isEqualTo(200);
        Route untouched = ilb.context().getRoute("pool-m");

        publish(Map.of("pool.yaml", unchanged, "added.yaml", pool("added", "round-robin", backend("added-0", server))));

        await().atMost(30, TimeUnit.SECONDS).until(() -> ilb.context().getRoute("pool-added") != null
                && ilb.context().getRoute("pool-gone") == null);
        var added = ilb.post("/v1/chat/completions", chat("added", 2));
        assertThat(added.statusCode()).isEqualTo(200);
        assertThat(servedBy(added)).isEqualTo("added-0");
        // once its grace for a reload has passed, the removed model is unknown
        await().until(() -> ilb.post("/v1/chat/completions", chat("gone", 2)).statusCode() == 404);
        assertThat(ilb.context().getRoute("pool-m")).isSameAs(untouched);
        assertThat(ilb.post("/v1/chat/completions", chat("m", 2)).statusCode()).isEqualTo(200);
    }

    private Appliance start(String... properties) {
        String[] all = new String[properties.length + 3];
        all[0] = "camel.main.routesIncludePattern=file:routes/api.yaml,file:" + volume + "/*.yaml";
        all[1] = "camel.main.routesReloadDirectory=" + volume;
        all[2] = "camel.main.routesReloadEnabled=true";
        System.arraycopy(properties, 0, all, 3, properties.length);
        // the pool routes are the volume's; the appliance's own route file stays empty
        return servers.ilb("", all);
    }

    /**
     * Writes a version of the ConfigMap as the kubelet's atomic writer does: the files into a new timestamped
     * directory, a {@code ..data_tmp} link to it renamed over {@code ..data}, then a link for each new file, the links
     * of files no longer there removed, and the old directory deleted.
     */
    private void publish(Map<String, String> files) throws IOException {
        Path version = Files.createDirectory(volume.resolve("..2026_12_05_10_00_0" + versions++ + ".123"));
        for (var file : files.entrySet()) {
            Files.writeString(version.resolve(file.getKey()), file.getValue());
        }
        Path data = volume.resolve("..data");
        Path old = Files.isSymbolicLink(data) ? volume.resolve(Files.readSymbolicLink(data)) : null;
        Path tmp = Files.createSymbolicLink(volume.resolve("..data_tmp"), version.getFileName());
        Files.move(tmp, data, StandardCopyOption.ATOMIC_MOVE);
        for (String name : files.keySet()) {
            Path link = volume.resolve(name);
            if (!Files.isSymbolicLink(link)) {
                Files.createSymbolicLink(link, Path.of("..data", name));
            }
        }
        try (var entries = Files.list(volume)) {
            for (Path entry : entries.toList()) {
                if (Files.isSymbolicLink(entry) && !entry.getFileName().toString().startsWith("..")
                        && !files.containsKey(entry.getFileName().toString())) {
                    Files.delete(entry);
                }
            }
        }
        if (old != null) {
            try (var entries = Files.list(old)) {
                for (Path entry : entries.toList()) {
                    Files.delete(entry);
                }
            }
            Files.delete(old);
        }
    }
}
