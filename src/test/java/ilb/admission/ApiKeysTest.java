package ilb.admission;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import ilb.Appliance;
import ilb.Servers;
import ilb.simulator.SimulatedBackend;
import ilb.simulator.SimulatorOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import static ilb.Appliance.chat;
import static ilb.PoolRoute.backend;
import static ilb.PoolRoute.pool;
import static org.assertj.core.api.Assertions.assertThat;

/** Tenants by API key: who may call, which models they see and use (how much: {@link TenantLimitsTest}). */
class ApiKeysTest {

    private static final Servers SERVERS = new Servers();
    private static final ListAppender<ILoggingEvent> LOG = new ListAppender<>();
    private static Appliance ilb;

    @BeforeAll
    static void start() {
        // everything ilb and Camel log at INFO (ilb at DEBUG) while this class runs, to look for keys in it
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        LOG.start();
        root.addAppender(LOG);
        ((Logger) LoggerFactory.getLogger("org.apache.camel")).setLevel(Level.INFO);
        ((Logger) LoggerFactory.getLogger("ilb")).setLevel(Level.DEBUG);
        SimulatedBackend backend = SERVERS.backend(new SimulatorOptions().models("open", "secret").ttftMs(1));
        ilb = SERVERS.ilb(pool("open", "round-robin", backend("open-0", backend))
                        + pool("secret", "round-robin", backend("secret-0", backend)),
                "ilb.tenants=test,guest",
                "ilb.tenant.guest.apiKeys=sk-guest-1,sk-guest-2", "ilb.tenant.guest.models=open");
    }

    @AfterAll
    static void stop() throws Exception {
        SERVERS.close();
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(LOG);
        ((Logger) LoggerFactory.getLogger("org.apache.camel")).setLevel(null);
        ((Logger) LoggerFactory.getLogger("ilb")).setLevel(Level.INFO);
    }

    private static HttpResponse<String> post(String key, String model) {
        HttpRequest.Builder request = HttpRequest.newBuilder(java.net.URI.create(ilb.baseUrl() + "/v1/chat/completions"))
                .POST(HttpRequest.BodyPublishers.ofString(chat(model, 2)));
        if (key != null) {
            request.header("authorization", "Bearer " + key);
        }
        return ilb.send(request.build());
    }

    private static HttpResponse<String> models(String key) {
        return ilb.send(HttpRequest.newBuilder(java.net.URI.create(ilb.baseUrl() + "/v1/models"))
                .header("authorization", "Bearer " + key).build());
    }

    @Test
    void noKeyIs401() {
        HttpResponse<String> response = post(null, "open");
        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.body()).contains("\"code\":\"missing_api_key\"");
    }

    @Test
    void anUnknownKeyIs401AndIsNotEchoed() {
        HttpResponse<String> response = post("sk-stolen-or-mistyped", "open");
        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.body()).contains("\"code\":\"invalid_api_key\"").doesNotContain("sk-stolen");
    }

    @Test
    void aTenantUsesItsModelsWithAnyOfItsKeys() {
        assertThat(post("sk-guest-1", "open").statusCode()).isEqualTo(200);
        assertThat(post("sk-guest-2", "open").statusCode()).isEqualTo(200);
    }

    @Test
    void aModelOutsideTheTenantsListIs403() {
        HttpResponse<String> response = post("sk-guest-1", "secret");
        assertThat(response.statusCode()).isEqualTo(403);
        assertThat(response.body()).contains("\"code\":\"model_not_allowed\"");
    }

    @Test
    void aTenantSeesOnlyItsModels() {
        assertThat(models("sk-guest-1").body()).contains("\"id\":\"open\"").doesNotContain("secret");
        assertThat(models(Appliance.API_KEY).body()).contains("\"id\":\"open\"", "\"id\":\"secret\"");
    }

    @Test
    void apiKeysNeverAppearInTheLog() {
        post("sk-stolen-or-mistyped", "open");
        post("sk-guest-1", "secret");

        assertThat(LOG.list).isNotEmpty();
        assertThat(LOG.list).allSatisfy(event -> assertThat(event.getFormattedMessage())
                .doesNotContain("sk-guest-1", "sk-guest-2", Appliance.API_KEY, "sk-stolen"));
    }

    @Test
    void serverHealthNeedsNoKey() {
        HttpResponse<String> live = ilb.send(HttpRequest.newBuilder(
                java.net.URI.create(ilb.baseUrl() + "/v2/health/live")).build());
        assertThat(live.statusCode()).isEqualTo(200);
    }
}
