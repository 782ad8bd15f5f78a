package ilb.routing;

import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import javax.management.MBeanServer;
import javax.management.ObjectName;

import ilb.Appliance;
import ilb.RawBackend;
import ilb.Servers;
import ilb.simulator.SimulatedBackend;
import ilb.simulator.SimulatorOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static ilb.Appliance.API_KEY;
import static ilb.Appliance.servedBy;
import static ilb.PoolRoute.backend;
import static ilb.PoolRoute.route;
import static ilb.routing.VersionClients.chat;
import static ilb.routing.VersionClients.each;
import static ilb.routing.VersionClients.kserve;
import static ilb.routing.VersionClients.version;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Shadow versions: a share of a model's requests copied to them, their answers discarded; whatever they do, the
 * primary's answers go to the clients as if they were not there.
 */
class ShadowTest {

    private static final int REQUESTS = 40;
    /** A copy finding its backend full is dropped, not queued: room for every copy in flight, not a learned limit. */
    private static final String SHADOW_CAPACITY = "capacity: 64";

    private final Servers servers = new Servers();
    private final MBeanServer jmx = ManagementFactory.getPlatformMBeanServer();

    @AfterEach
    void stop() throws Exception {
        servers.close();
    }

    @Test
    void atAShareOfOneEveryRequestIsCopiedAndTheClientGetsThePrimarysAnswer() throws Exception {
        SimulatedBackend primary = servers.fastBackend();
        SimulatedBackend shadow = servers.fastBackend();
        // tenant test reaches the shadow's stage, so its requests are copied there; tenant prod does not, so its are not
        Appliance ilb = servers.ilb(route("m-v1", "model:m?version=v1", "", "round-robin", backend("v1-0", primary))
                + route("m-v3", "model:m?version=v3&shadow=1.0&stage=experimental", "", "round-robin",
                        backend("v3-0", shadow, SHADOW_CAPACITY)), "ilb.tenants=test,prod",
                "ilb.tenant.test.stages=production,experimental", "ilb.tenant.prod.apiKeys=sk-prod");
        // first prod's, which go nowhere but to v1: a copy of them would have reached v3 before test's copies
        assertThat(each(REQUESTS, i -> chat(ilb, "sk-prod", "user-" + i, null)))
                .allSatisfy(response -> assertThat(version(response)).isEqualTo("v1"));

        List<HttpResponse<String>> whole = each(REQUESTS, i -> chat(ilb, API_KEY, "user-" + i, null));
        List<String> streams = each(REQUESTS, i -> {
            HttpResponse<InputStream> response = ilb.openStream("m", 5);
            try (InputStream body = response.body()) {
                assertThat(response.headers().firstValue("x-ilb-model-version")).hasValue("v1");
                return new String(body.readAllBytes(), StandardCharsets.UTF_8);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });

        assertThat(whole).allSatisfy(response -> {
            assertThat(version(response)).isEqualTo("v1");
            assertThat(servedBy(response)).isEqualTo("v1-0");
        });
        assertThat(streams).allSatisfy(events -> assertThat(events).endsWith("data: [DONE]\n\n"));
        assertThat(primary.inferenceRequests()).isEqualTo(3 * REQUESTS);
        await().until(() -> shadow.inferenceRequests() == 2 * REQUESTS);
        // the copies' streams are read to their end, and their connections given back
        await().until(() -> shadow.streamedTokens() == primary.streamedTokens());
        await().until(() -> ilb.backend("v3-0").inFlight() == 0);
    }

    @Test
    void aShadowThatHangsOrIsDownNeverFailsThePrimary() throws Exception {
        CountDownLatch forever = new CountDownLatch(1);
        RawBackend hanging = servers.raw(out -> forever.await());
        Appliance ilb = servers.ilb(route("m-v1", "model:m?version=v1", "", "round-robin",
                backend("v1-0", servers.fastBackend()))
                + route("m-v3", "model:m?version=v3&shadow=1", "", "round-robin",
                        backend("v3-0", hanging.url(), "healthPath:", "metricsPath:"))
                + route("m-v4", "model:m?version=v4&shadow=1", "", "round-robin",
                        backend("v4-0", "http://127.0.0.1:" + Appliance.freePort(), "healthPath:", "metricsPath:")));

        List<HttpResponse<String>> answers = each(REQUESTS, i -> chat(ilb, API_KEY, "user-" + i, null));

        assertThat(answers).hasSize(REQUESTS).allSatisfy(response -> assertThat(version(response)).isEqualTo("v1"));
        // every primary answered while copies still hang
        await().until(() -> !hanging.requestLines().isEmpty());
        assertThat(ilb.backend("v3-0").inFlight()).isPositive();
        forever.countDown();
        hanging.close();
    }

    @Test
    void aKServeCopyAsksTheShadowBackendForItsOwnVersion() {
        SimulatedBackend one = servers.backend(new SimulatorOptions().models("resnet").versions("1").ttftMs(1));
        RawBackend three = servers.raw(out -> out.write(("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                + "content-length: 2\r\n\r\n{}").getBytes(StandardCharsets.US_ASCII)));
        Appliance ilb = servers.ilb(route("resnet-1", "model:resnet?version=1", "", "round-robin",
                backend("resnet-1-0", one, "healthPath: /v2/health/ready"))
                + route("resnet-3", "model:resnet?version=3&shadow=1", "", "round-robin",
                        backend("resnet-3-0", three.url(), "healthPath:", "metricsPath:")));

        HttpResponse<String> pinned = kserve(ilb, API_KEY, "/v2/models/resnet/versions/1/infer?x=1", null);
        HttpResponse<String> unpinned = kserve(ilb, API_KEY, "/v2/models/resnet/infer", null);

        assertThat(version(pinned)).isEqualTo("1");
        assertThat(pinned.body()).contains("\"model_version\":\"1\"");
        assertThat(version(unpinned)).isEqualTo("1");
        await().until(() -> three.requestLines().size() == 2);
        // the copy of a request for version 1, and of one for no version, which version 1 served
        assertThat(three.requestLines()).containsExactlyInAnyOrder(
                "POST /v2/models/resnet/versions/3/infer?x=1 HTTP/1.1",
                "POST /v2/models/resnet/versions/3/infer HTTP/1.1");
    }

    @Test
    void theShadowShareChangesLiveInJmx() throws Exception {
        SimulatedBackend shadow = servers.fastBackend();
        Appliance ilb = servers.ilb(route("m-v1", "model:m?version=v1&weight=1", "", "round-robin",
                backend("v1-0", servers.fastBackend()))
                + route("m-v3", "model:m?version=v3&shadow=1", "", "round-robin",
                        backend("v3-0", shadow, SHADOW_CAPACITY)));
        ObjectName v3 = ModelVersionMBeans.name("m", "v3");

        each(REQUESTS, i -> version(chat(ilb, API_KEY, "user-" + i, null)));
        await().until(() -> shadow.inferenceRequests() == REQUESTS);
        jmx.invoke(v3, "changeShadow", new Object[] {0.0}, new String[] {"double"});
        List<String> unshadowed = each(REQUESTS, i -> version(chat(ilb, API_KEY, "user-" + i, null)));

        assertThat(jmx.getAttribute(v3, "Shadow")).isEqualTo(0.0);
        assertThat(unshadowed).containsOnly("v1");
        // what came to v3 came before the change: the copies of the first requests only
        assertThat(shadow.inferenceRequests()).isEqualTo(REQUESTS);
        // a version with a weight is no shadow: refused, and nothing changes
        assertThatThrownBy(() -> jmx.invoke(ModelVersionMBeans.name("m", "v1"), "changeShadow", new Object[] {0.5},
                new String[] {"double"})).hasRootCauseMessage("version v1 has both a weight (1) and a shadow share"
                + " (0.5): a shadow version serves no requests of its own");
        assertThat(jmx.getAttribute(ModelVersionMBeans.name("m", "v1"), "Shadow")).isEqualTo(0.0);
    }
}
