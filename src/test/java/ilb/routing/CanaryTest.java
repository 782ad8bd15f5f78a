package ilb.routing;

import java.lang.management.ManagementFactory;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

import javax.management.MBeanServer;
import javax.management.ObjectName;

import ilb.Appliance;
import ilb.Servers;
import ilb.simulator.SimulatedBackend;
import ilb.simulator.SimulatorOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static ilb.Appliance.API_KEY;
import static ilb.Appliance.servedBy;
import static ilb.PoolRoute.backend;
import static ilb.PoolRoute.route;
import static ilb.routing.VersionChoiceTest.assertWithinBinomial;
import static ilb.routing.VersionClients.PROD_KEY;
import static ilb.routing.VersionClients.TENANTS;
import static ilb.routing.VersionClients.chat;
import static ilb.routing.VersionClients.each;
import static ilb.routing.VersionClients.kserve;
import static ilb.routing.VersionClients.version;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A model served by versions, each its own pool route: canary weights sticky per end user, pins, stages, a version
 * stopped, weights changed live in JMX. OpenAI and KServe alike.
 */
class CanaryTest {

    private static final int USERS = 2000;

    private final Servers servers = new Servers();
    private final SimulatedBackend v1Server = servers.fastBackend();
    private final SimulatedBackend v2Server = servers.fastBackend();
    private final MBeanServer jmx = ManagementFactory.getPlatformMBeanServer();

    @AfterEach
    void stop() throws Exception {
        servers.close();
    }

    /** Model m: v1 in production with weight 95, v2 experimental with weight 5; each version on its own backend. */
    private Appliance canary(String... properties) {
        String[] all = new String[TENANTS.length + properties.length];
        System.arraycopy(TENANTS, 0, all, 0, TENANTS.length);
        System.arraycopy(properties, 0, all, TENANTS.length, properties.length);
        return servers.ilb(canaryRoutes(95, 5), all);
    }

    private String canaryRoutes(int v1, int v2) {
        return route("m-v1", "model:m?version=v1&weight=" + v1, "", "round-robin", backend("v1-0", v1Server))
                + route("m-v2", "model:m?version=v2&weight=" + v2 + "&stage=experimental", "", "round-robin",
                        backend("v2-0", v2Server));
    }

    @Test
    void aCanaryKeepsEachUserOnOneVersionAndAWeightChangedInJmxMovesOnlyTheUsersThatMust() throws Exception {
        Appliance ilb = canary();

        List<String> first = each(USERS, user -> served(chat(ilb, API_KEY, "user-" + user, null)));
        List<String> again = each(USERS, user -> served(chat(ilb, API_KEY, "user-" + user, null)));

        assertThat(again).isEqualTo(first);
        Map<String, Long> counts = first.stream().collect(Collectors.groupingBy(v -> v, Collectors.counting()));
        assertThat(counts.keySet()).containsExactlyInAnyOrder("v1", "v2");
        assertWithinBinomial(counts.get("v2").intValue(), USERS, 0.05);

        ObjectName v1 = ModelVersionMBeans.name("m", "v1");
        ObjectName v2 = ModelVersionMBeans.name("m", "v2");
        assertThat(jmx.getAttribute(v2, "Weight")).isEqualTo(5);
        assertThat(jmx.getAttribute(v2, "Stage")).isEqualTo("experimental");
        assertThat(jmx.getAttribute(v2, "Route")).isEqualTo("m-v2");
        jmx.invoke(v1, "changeWeight", new Object[] {90}, new String[] {"int"});
        jmx.invoke(v2, "changeWeight", new Object[] {10}, new String[] {"int"});
        assertThat(jmx.getAttribute(v2, "Weight")).isEqualTo(10);

        List<String> after = each(USERS, user -> served(chat(ilb, API_KEY, "user-" + user, null)));
        int moved = 0;
        for (int user = 0; user < USERS; user++) {
            if (!after.get(user).equals(first.get(user))) {
                assertThat(first.get(user) + "->" + after.get(user)).isEqualTo("v1->v2");
                moved++;
            }
        }
        assertWithinBinomial(moved, USERS, 0.05);
    }

    @Test
    void editingTheRouteFileChangesTheWeights() throws Exception {
        Appliance ilb = canary("camel.main.routesReloadEnabled=true");
        int users = USERS / 4;
        List<String> before = each(users, user -> served(chat(ilb, API_KEY, "user-" + user, null)));

        // what an operator does: edit the file and save it
        Files.writeString(ilb.poolRouteFile(), canaryRoutes(50, 50));
        await().atMost(Duration.ofSeconds(30)).until(() -> jmx.isRegistered(ModelVersionMBeans.name("m", "v2"))
                && jmx.getAttribute(ModelVersionMBeans.name("m", "v2"), "Weight").equals(50));
        List<String> after = each(users, user -> served(chat(ilb, API_KEY, "user-" + user, null)));

        int moved = 0;
        for (int user = 0; user < users; user++) {
            if (!after.get(user).equals(before.get(user))) {
                assertThat(before.get(user) + "->" + after.get(user)).isEqualTo("v1->v2");
                moved++;
            }
        }
        // from 5 % to 50 %
        assertWithinBinomial(moved, users, 0.45);
    }

    @Test
    void aVersionIsPinnedByTenantsThatReachItsStage() {
        Appliance ilb = canary();

        HttpResponse<String> pinned = chat(ilb, API_KEY, "someone", "v2");
        HttpResponse<String> refused = chat(ilb, PROD_KEY, "someone", "v2");
        HttpResponse<String> unknown = chat(ilb, API_KEY, "someone", "v9");
        HttpResponse<String> malformed = chat(ilb, API_KEY, "someone", "../v1");

        assertThat(version(pinned)).isEqualTo("v2");
        assertThat(servedBy(pinned)).isEqualTo("v2-0");
        assertThat(refused.statusCode()).isEqualTo(403);
        assertThat(refused.body()).contains("\"code\":\"model_stage_not_allowed\"");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(unknown.body()).contains("\"code\":\"model_version_not_found\"");
        assertThat(malformed.statusCode()).isEqualTo(400);
        assertThat(version(chat(ilb, PROD_KEY, "someone", "v1"))).isEqualTo("v1");
    }

    @Test
    void aTenantWithoutTheExperimentalStageNeverReachesAnExperimentalVersion() throws Exception {
        SimulatedBackend lab = servers.backend(new SimulatorOptions().models("lab").ttftMs(1).itlMs(1));
        Appliance ilb = servers.ilb(canaryRoutes(95, 5)
                + route("lab-x1", "model:lab?version=x1&stage=experimental", "", "round-robin",
                        backend("lab-0", lab)), TENANTS);

        List<String> production = each(USERS / 4, user -> served(chat(ilb, PROD_KEY, "user-" + user, null)));
        assertThat(production).hasSize(USERS / 4).containsOnly("v1");

        HttpResponse<String> experimentOnly = ilb.send(ilb.request("/v1/chat/completions")
                .setHeader("authorization", "Bearer " + PROD_KEY).header("content-type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(Appliance.chat("lab", 2))).build());
        assertThat(experimentOnly.statusCode()).isEqualTo(403);
        assertThat(experimentOnly.body()).contains("\"code\":\"model_stage_not_allowed\"");
        assertThat(lab.inferenceRequests()).isZero();
        // hidden from it, shown to a tenant that reaches it
        assertThat(ilb.send(ilb.request("/v1/models").setHeader("authorization", "Bearer " + PROD_KEY).GET().build())
                .body()).contains("\"id\":\"m\"").doesNotContain("\"id\":\"lab\"");
        assertThat(ilb.send(ilb.request("/v1/models/lab").setHeader("authorization", "Bearer " + PROD_KEY).GET()
                .build()).statusCode()).isEqualTo(404);
        assertThat(ilb.get("/v1/models").body()).contains("\"id\":\"lab\"");
        assertThat(ilb.post("/v1/chat/completions", Appliance.chat("lab", 2)).statusCode()).isEqualTo(200);
    }

    @Test
    void kserveRequestsFollowTheSameCanaryPinsAndStages() throws Exception {
        // one server holds both versions, as the demo's does: the path must name the version chosen
        SimulatedBackend both = servers.backend(new SimulatorOptions().models("resnet").versions("1", "2").ttftMs(1));
        SimulatedBackend lab = servers.backend(new SimulatorOptions().models("lab").versions("1").ttftMs(1));
        Appliance ilb = servers.ilb(route("resnet-1", "model:resnet?version=1&weight=95", "", "round-robin",
                backend("resnet-1-0", both, "healthPath: /v2/health/ready"))
                + route("resnet-2", "model:resnet?version=2&weight=5&stage=experimental", "", "round-robin",
                        backend("resnet-2-0", both, "healthPath: /v2/health/ready"))
                + route("lab-1", "model:lab?version=1&stage=experimental", "", "round-robin",
                        backend("lab-0", lab, "healthPath: /v2/health/ready")), TENANTS);
        int sessions = USERS / 2;

        List<String> first = each(sessions, s -> served(kserve(ilb, API_KEY, "/v2/models/resnet/infer", "s-" + s)));
        List<String> again = each(sessions, s -> served(kserve(ilb, API_KEY, "/v2/models/resnet/infer", "s-" + s)));

        assertThat(again).isEqualTo(first);
        assertWithinBinomial((int) first.stream().filter("2"::equals).count(), sessions, 0.05);
        assertThat(each(sessions / 4, s -> served(kserve(ilb, PROD_KEY, "/v2/models/resnet/infer", "s-" + s))))
                .containsOnly("1");
        // the path's version pins it
        HttpResponse<String> pinned = kserve(ilb, API_KEY, "/v2/models/resnet/versions/2/infer", null);
        assertThat(version(pinned)).isEqualTo("2");
        assertThat(pinned.body()).contains("\"model_version\":\"2\"");
        HttpResponse<String> refused = kserve(ilb, PROD_KEY, "/v2/models/resnet/versions/2/infer", null);
        assertThat(refused.statusCode()).isEqualTo(403);
        // an experimental-only model: refused for inference, hidden otherwise
        assertThat(kserve(ilb, PROD_KEY, "/v2/models/lab/infer", null).statusCode()).isEqualTo(403);
        assertThat(kserve(ilb, PROD_KEY, "/v2/models/lab", null).statusCode()).isEqualTo(404);
        assertThat(kserve(ilb, API_KEY, "/v2/models/lab", null).statusCode()).isEqualTo(200);
        assertThat(lab.inferenceRequests()).isZero();
    }

    @Test
    void aStoppedVersionsUsersGoToTheOtherVersionsAndComeBackWhenItStarts() throws Exception {
        Appliance ilb = canary("ilb.routes.reloadGraceMillis=2000");
        int users = USERS / 4;
        List<String> before = each(users, user -> served(chat(ilb, API_KEY, "user-" + user, null)));
        assertThat(before).contains("v2");

        ilb.context().getRouteController().stopRoute("m-v2");
        // pinned to it: waits for it to come back (a reload), and gives up after the grace period
        CompletableFuture<HttpResponse<String>> pinned = CompletableFuture.supplyAsync(
                () -> chat(ilb, API_KEY, "someone", "v2"));
        List<String> stopped = each(users, user -> served(chat(ilb, API_KEY, "user-" + user, null)));
        assertThat(pinned.get().statusCode()).isEqualTo(503);
        ilb.context().getRouteController().startRoute("m-v2");
        List<String> restarted = each(users, user -> served(chat(ilb, API_KEY, "user-" + user, null)));

        assertThat(stopped).hasSize(users).containsOnly("v1");
        assertThat(pinned.get().body()).contains("\"code\":\"model_unavailable\"");
        assertThat(restarted).isEqualTo(before);
    }

    @Test
    void aRequestPinnedToAVersionWhoseRouteRestartsWaitsForIt() throws Exception {
        Appliance ilb = canary();
        ilb.context().getRouteController().stopRoute("m-v2");

        CompletableFuture<HttpResponse<String>> waiting = CompletableFuture.supplyAsync(
                () -> chat(ilb, API_KEY, "someone", "v2"));
        await().until(() -> ilb.context().getInflightRepository().size() == 1);
        ilb.context().getRouteController().startRoute("m-v2");

        assertThat(version(waiting.get())).isEqualTo("v2");
        assertThat(servedBy(waiting.get())).isEqualTo("v2-0");
    }

    /** The version that served, checked against the backend that did (and against a KServe answer's version). */
    private static String served(HttpResponse<String> response) {
        String version = version(response);
        String backend = servedBy(response);
        if (backend.startsWith("resnet")) {
            assertThat(backend).startsWith("resnet-" + version);
            assertThat(response.body()).contains("\"model_version\":\"" + version + "\"");
        } else {
            assertThat(backend).startsWith(version);
        }
        return version;
    }
}
