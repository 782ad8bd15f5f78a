package ilb.backend;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;

import ilb.inference.Protocol;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import org.junit.jupiter.api.Test;

/** What JMX (and every console user, viewers too) reads of a backend. */
class BackendMBeansTest {

    @Test
    void theUrlShownCarriesNoCredentialsAndNoQuery() {
        BackendSettings settings = new BackendSettings("a", URI.create("http://ops:s3cret@10.0.0.7:8000/v1?api_key=k1"),
                Protocol.HTTP, 0, 1, 4, "/health", "/metrics", "", "", 1000, 1000, 1000, 1000, 200, null, null);
        Backend backend = new Backend(settings, CircuitBreakerConfig.ofDefaults(), new OutlierEjection(0, 0, 0), 64);

        String shown = new BackendMBeans.View(backend).getUrl();

        assertThat(shown).isEqualTo("http://10.0.0.7:8000/v1").doesNotContain("s3cret", "k1");
    }
}
