package ilb;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A setting an older ilb read, left in an upgraded deployment's properties, stops the start with what replaces it:
 * read silently as nothing, it would leave a tenant without its limit, or a pool with other deadlines.
 */
class RemovedSettingsTest {

    private static final String POOL = PoolRoute.pool("m", "round-robin", PoolRoute.backend("m-0", "http://127.0.0.1:9"));

    @Test
    void aTenantsRequestsPerSecondNamesItsReplacement() {
        assertThatThrownBy(() -> Appliance.start(POOL, "ilb.tenant.test.requestsPerSecond=5"))
                .rootCause().hasMessageContaining("ilb.tenant.test.requestsPerSecond is gone")
                .hasMessageContaining("ilb.tenant.test.requestsPerMinute");
    }

    @Test
    void theQueueTimeoutInMillisecondsNamesItsReplacement() {
        assertThatThrownBy(() -> Appliance.start(POOL, "ilb.balancer.queueTimeoutMillis=10000"))
                .rootCause().hasMessageContaining("ilb.balancer.queueTimeoutMillis is gone")
                .hasMessageContaining("ilb.balancer.queueTimeout.critical");
    }
}
