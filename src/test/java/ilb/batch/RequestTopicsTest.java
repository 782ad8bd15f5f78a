package ilb.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Set;

import ilb.admission.Quota;
import ilb.admission.Tenant;
import ilb.inference.Priority;
import org.junit.jupiter.api.Test;

/** Whose jobs a requests topic carries, and the topics a start refuses. */
class RequestTopicsTest {

    private static final Set<String> WRITTEN = Set.of("ilb.results", "ilb.requests.dlq", "results.a");

    @Test
    void aTenantsOwnTopicIsItsAndASharedTopicIsNobodys() {
        Tenant a = tenant("a", "jobs.a");
        Tenant b = tenant("b", null);
        RequestTopics topics = RequestTopics.of("ilb.requests, ilb.requests.more", WRITTEN, List.of(a, b));
        assertThat(topics.owner("jobs.a")).isSameAs(a);
        assertThat(topics.owner("ilb.requests")).isNull();
        assertThat(topics.owner("ilb.requests.more")).isNull();
        assertThat(topics.owner(null)).isNull();
        assertThat(topics.all()).containsExactly("ilb.requests", "ilb.requests.more", "jobs.a");
        assertThat(topics.anyOwned()).isTrue();
        assertThat(RequestTopics.of("ilb.requests", WRITTEN, List.of(b)).anyOwned()).isFalse();
    }

    @Test
    void twoTenantsMayNotShareATopic() {
        assertThatThrownBy(() -> RequestTopics.of("ilb.requests", WRITTEN,
                List.of(tenant("a", "jobs.ab"), tenant("b", "jobs.ab"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("ilb.tenant.a.requestsTopic and ilb.tenant.b.requestsTopic are both 'jobs.ab': a requests"
                        + " topic is one tenant's, whose jobs need no key");
    }

    @Test
    void aTenantMayNotTakeASharedTopicAsItsOwn() {
        assertThatThrownBy(() -> RequestTopics.of("ilb.requests,ilb.requests.more", WRITTEN,
                List.of(tenant("a", "ilb.requests.more"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("ilb.tenant.a.requestsTopic 'ilb.requests.more' is also in ilb.batch.requestsTopic, whose"
                        + " jobs name their tenant by API key: give tenant a a topic of its own");
    }

    @Test
    void noRequestsTopicIsOneIlbWritesTo() {
        assertThatThrownBy(() -> RequestTopics.of("ilb.requests", WRITTEN, List.of(tenant("a", "results.a"))))
                .hasMessageStartingWith("ilb.tenant.a.requestsTopic 'results.a' is a topic ilb writes batch results"
                        + " or dead letters to");
        assertThatThrownBy(() -> RequestTopics.of("ilb.requests,ilb.requests.dlq", WRITTEN, List.of()))
                .hasMessageStartingWith("ilb.batch.requestsTopic 'ilb.requests.dlq' is a topic ilb writes");
    }

    @Test
    void aTenantsTopicIsOneLegalName() {
        assertThatThrownBy(() -> RequestTopics.of("ilb.requests", WRITTEN, List.of(tenant("a", "jobs.a,jobs.b"))))
                .hasMessage("ilb.tenant.a.requestsTopic must be one Kafka topic name (letters, digits, '.', '_', '-'),"
                        + " not 'jobs.a,jobs.b'");
    }

    private static Tenant tenant(String name, String requestsTopic) {
        return new Tenant(name, Set.of("*"), Priority.STANDARD, Priority.STANDARD, 1, Quota.NONE,
                Set.of(Tenant.PRODUCTION), requestsTopic, null, false);
    }
}
