package ilb.routing;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import ilb.backend.EndpointMetadata;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A model route's version options: read from its uri, and a wrong one fails the route with a message naming it. */
class ModelEndpointTest {

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private final DefaultCamelContext context = new DefaultCamelContext();

    ModelEndpointTest() {
        context.addComponent("model", new ModelComponent(new ModelCatalog(timer, timer, 1000)));
    }

    @AfterEach
    void stop() throws Exception {
        context.close();
        timer.shutdownNow();
    }

    @Test
    void theOptionsMakeTheVersionsSettings() throws Exception {
        ModelConsumer canary = consumer("model:m?version=v2&weight=5&stage=experimental");
        ModelConsumer shadow = consumer("model:m?version=v3&shadow=0.1&stage=experimental");
        ModelConsumer plain = consumer("model:m");

        assertThat(canary.settings()).isEqualTo(new VersionSettings("v2", "experimental", 5, 0));
        assertThat(shadow.settings()).isEqualTo(new VersionSettings("v3", "experimental", null, 0.1));
        assertThat(plain.settings()).isEqualTo(new VersionSettings("", "production", null, 0));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "version=v1&stage=staging     | model:m: stage must be production or experimental, not 'staging'",
        "version=v1&weight=-2         | model:m: weight must be 0 or more, not -2",
        "version=v1&shadow=2          | model:m: shadow must be a share from 0 to 1, not 2.0",
        "version=v1&weight=5&shadow=1 | model:m: version v1 has both a weight (5) and a shadow share (1.0)",
        "weight=5                     | model:m: weight and shadow need a version",
    })
    void aWrongOptionFailsTheRouteAndSaysWhich(String options, String message) {
        assertThatThrownBy(() -> consumer("model:m?" + options)).hasMessageStartingWith(message);
    }

    @Test
    void aWeightThatIsNoNumberFailsTheRouteToo() {
        assertThatThrownBy(() -> consumer("model:m?version=v1&weight=lots")).hasMessageContaining("weight");
    }

    @Test
    void theMetadataListsEveryOptionWithItsTypeAndDefault() throws Exception {
        EndpointMetadata.of(ModelEndpoint.class, "model").describesEveryOptionOf(context.getEndpoint("model:m"));
    }

    @Test
    void anUnknownOptionFailsTheRouteNamingIt() {
        assertThatThrownBy(() -> consumer("model:m?verison=v1"))
                .hasMessageContaining("Unknown parameters=[{verison=v1}]");
    }

    private ModelConsumer consumer(String uri) throws Exception {
        return (ModelConsumer) context.getEndpoint(uri).createConsumer(exchange -> { });
    }
}
