package ilb.backend;

import java.time.Duration;
import java.util.HashMap;

import io.netty.channel.nio.NioEventLoopGroup;
import org.apache.camel.ResolveEndpointFailedException;
import org.apache.camel.catalog.DefaultCamelCatalog;
import org.apache.camel.catalog.EndpointValidationResult;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.spi.GeneratedPropertyConfigurer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The backend: component as Camel tooling (Camel JBang, Kaoto, the YAML DSL schema) sees it: the metadata generated
 * at build time lists every option with its type and default, Camel binds options through the generated
 * configurer, and a wrong option name or value fails the route with a message naming it.
 */
class BackendComponentMetadataTest {

    private final NioEventLoopGroup loops = new NioEventLoopGroup(1);
    private final DefaultCamelContext camel = new DefaultCamelContext();
    private final BackendComponent component = new BackendComponent(loops);

    BackendComponentMetadataTest() {
        camel.addComponent("backend", component);
    }

    @AfterEach
    void stop() throws Exception {
        camel.close();
        loops.shutdownGracefully();
    }

    @Test
    void theMetadataListsEveryOptionWithItsTypeAndDefault() throws Exception {
        EndpointMetadata metadata = EndpointMetadata.of(BackendEndpoint.class, "backend");

        // as the component makes it, before it is initialized (which checks that it has a url)
        metadata.describesEveryOptionOf(component.createEndpoint("backend:gpu-0", "gpu-0", new HashMap<>()));
        metadata.describesEveryComponentOptionOf(new BackendComponent(loops));
        assertThat(metadata.properties().get("timeout").get("type").asText()).isEqualTo("duration");
        assertThat(metadata.properties().get("url").get("required").asBoolean()).isTrue();
    }

    @Test
    void optionsAreBoundByTheGeneratedConfigurerNotByReflection() {
        camel.getEndpoint("backend:gpu-0?url=http://h:1");

        assertThat(component.getEndpointPropertyConfigurer()).isInstanceOf(GeneratedPropertyConfigurer.class);
        assertThat(component.getComponentPropertyConfigurer()).isInstanceOf(GeneratedPropertyConfigurer.class);
    }

    @Test
    void durationsAreWrittenAsEverywhereElse() {
        assertThat(endpoint("timeout=2s").getTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(endpoint("timeout=250ms").getTimeout()).isEqualTo(Duration.ofMillis(250));
        assertThat(endpoint("timeout=1m30s").getTimeout()).isEqualTo(Duration.ofSeconds(90));
        assertThat(endpoint("timeout=1500").getTimeout()).isEqualTo(Duration.ofMillis(1500));
        assertThat(endpoint("metricsInterval=0").getMetricsInterval()).isZero();
    }

    @Test
    void aBadValueOrAnUnknownOptionFailsTheRouteNamingIt() {
        // the uri is in every message: what matters is what follows it
        assertThatThrownBy(() -> endpoint("timeout=soon")).isInstanceOf(ResolveEndpointFailedException.class)
                .hasMessageContaining("Error binding property (timeout=soon) with name: timeout");
        assertThatThrownBy(() -> endpoint("weight=heavy"))
                .hasMessageContaining("Error binding property (weight=heavy) with name: weight");
        assertThatThrownBy(() -> endpoint("timeot=2s")).isInstanceOf(ResolveEndpointFailedException.class)
                .hasMessageContaining("Unknown parameters=[{timeot=2s}]");
    }

    @Test
    void camelsCatalogValidatesBackendUrisFromTheMetadata() throws Exception {
        DefaultCamelCatalog catalog = new DefaultCamelCatalog();
        catalog.addComponent("backend", BackendComponent.class.getName(),
                EndpointMetadata.of(BackendEndpoint.class, "backend").json());

        assertThat(catalog.validateEndpointProperties("backend:gpu-0?url=http://x:8000&timeout=2s&tier=1").isSuccess())
                .isTrue();
        EndpointValidationResult badDuration = catalog.validateEndpointProperties(
                "backend:gpu-0?url=http://x:8000&timeout=soon");
        assertThat(badDuration.getInvalidDuration()).containsKey("timeout");
        EndpointValidationResult typo = catalog.validateEndpointProperties("backend:gpu-0?url=http://x:8000&timeot=2s");
        assertThat(typo.getUnknown()).containsExactly("timeot");
        assertThat(catalog.validateEndpointProperties("backend:gpu-0?url=http://x:8000&protocol=h2c")
                .getInvalidEnum()).containsKey("protocol");
    }

    private BackendEndpoint endpoint(String options) {
        return camel.getEndpoint("backend:gpu-0?url=http://h:1&" + options, BackendEndpoint.class);
    }
}
