package ilb;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import ilb.batch.BatchBroker;
import org.apache.camel.CamelContext;
import org.apache.camel.ServiceStatus;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import static ilb.PoolRoute.backend;
import static ilb.PoolRoute.pool;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The dev profile is the demo (tenant, fleet, embedded broker, first console admin); prod has none of them, turns batch
 * off without a Kafka cluster and says so, and refuses to start with authentication on and no tenant.
 */
class ProfilesTest {

    @Test
    void devIsTheDemo() throws Exception {
        try (Servers servers = new Servers()) {
            Appliance ilb = servers.ilb(pool("m", "round-robin", backend("m-0", servers.fastBackend())),
                    "camel.main.profile=dev");
            CamelContext context = ilb.context();
            assertThat(context.getCamelContextExtension().getProfile()).isEqualTo("dev");
            assertThat(property(context, "ilb.kafka.embedded")).isEqualTo("true");
            assertThat(property(context, "ilb.console.firstAdmin")).isEqualTo("true");
            assertThat(property(context, "ilb.tenant.demo.apiKeys")).isEqualTo("sk-ilb-demo");
            // Camel's dev profile would record every exchange's history
            assertThat(context.isMessageHistory()).isFalse();
        }
    }

    @Test
    void prodHasNoDemoAndNoBatchWithoutACluster() throws Exception {
        ListAppender<ILoggingEvent> log = listen(BatchBroker.class);
        try (Servers servers = new Servers()) {
            Appliance ilb = servers.ilb(pool("m", "round-robin", backend("m-0", servers.fastBackend())),
                    "camel.main.profile=prod", "ilb.batch.enabled=true");
            CamelContext context = ilb.context();
            assertThat(context.getCamelContextExtension().getProfile()).isEqualTo("prod");
            assertThat(property(context, "ilb.kafka.embedded")).isEqualTo("false");
            assertThat(property(context, "ilb.console.firstAdmin")).isEqualTo("false");
            assertThat(context.getPropertiesComponent().resolveProperty("ilb.tenant.demo.apiKeys")).isEmpty();
            assertThat(context.getRouteController().getRouteStatus("batch-intake")).isNotEqualTo(ServiceStatus.Started);
            assertThat(log.list).extracting(ILoggingEvent::getFormattedMessage)
                    .containsExactly("Batch jobs over Kafka are off: set camel.component.kafka.brokers to the cluster's"
                            + " brokers to turn them on");
            // it serves inference all the same
            assertThat(ilb.post("/v1/chat/completions", Appliance.chat("m", 1)).statusCode()).isEqualTo(200);
        } finally {
            ((Logger) LoggerFactory.getLogger(BatchBroker.class)).detachAppender(log);
        }
    }

    @Test
    void prodRefusesToStartWithAuthenticationOnAndNoTenant() {
        assertThatThrownBy(() -> Appliance.start(pool("m", "round-robin", backend("m-0", "http://127.0.0.1:9")),
                "camel.main.profile=prod", "ilb.tenants="))
                .rootCause().hasMessageContaining("No tenant has an API key");
    }

    private static String property(CamelContext context, String name) {
        return context.getPropertiesComponent().resolveProperty(name).orElse(null);
    }

    private static ListAppender<ILoggingEvent> listen(Class<?> type) {
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        log.start();
        ((Logger) LoggerFactory.getLogger(type)).addAppender(log);
        return log;
    }
}
