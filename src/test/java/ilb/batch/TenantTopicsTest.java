package ilb.batch;

import static ilb.batch.BatchJobsTest.KEY;
import static ilb.batch.BatchJobsTest.chatLine;
import static ilb.batch.DeadLetterTest.header;
import static ilb.batch.DeadLetterTest.reason;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import ilb.Appliance;
import ilb.PoolRoute;
import ilb.Servers;
import ilb.simulator.SimulatorOptions;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.component.micrometer.MicrometerConstants;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;

/**
 * Jobs on a tenant's own requests topic are that tenant's, with no key and whatever key they carry; jobs on the shared
 * topic name their tenant by key, as before; a job's {@code ilb-priority} asks for a class up to its tenant's most.
 */
class TenantTopicsTest {

    private static final Map<String, String> B_KEY = Map.of("authorization", "Bearer sk-b");

    @Test
    void aJobOnATenantsTopicIsThatTenantsWhateverItsHeaders() throws Exception {
        TestKafka.Topics topics = TestKafka.topics(1);
        String aJobs = topics.requests() + ".a";
        String aResults = topics.results() + ".a";
        try (Servers servers = new Servers()) {
            // tenant a has no key and may use m only; tenant b has a key and may use every model
            Appliance ilb = servers.ilb(pools(servers), topics.ilbProperties("ilb.kafka.partitions=3",
                    "ilb.tenants=test,a,b", "ilb.tenant.a.models=m", "ilb.tenant.a.requestsTopic=" + aJobs,
                    "ilb.tenant.a.batchResultsTopic=" + aResults, "ilb.tenant.b.apiKeys=sk-b",
                    "ilb.tenant.b.models=*"));
            // ilb made a's topic as it makes the others (the broker alone would make it with 4 partitions)
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", TestKafka.bootstrap()))) {
                assertThat(admin.describeTopics(List.of(aJobs)).allTopicNames().get().get(aJobs).partitions())
                        .hasSize(3);
            }
            try (KafkaProducer<String, String> producer = TestKafka.producer()) {
                TestKafka.send(producer, aJobs, "a-plain", chatLine("a-plain"), Map.of());
                // b's key on a's topic: the job is a's all the same, its result in a's topic
                TestKafka.send(producer, aJobs, "a-keyed-b", chatLine("a-keyed-b"), B_KEY);
                // ... and a's models apply, not b's
                TestKafka.send(producer, aJobs, "a-keyed-b-n", chatLine("a-keyed-b-n").replace("\"model\":\"m\"",
                        "\"model\":\"n\""), B_KEY);
                // the shared topic still wants a key
                TestKafka.send(producer, topics.requests(), "shared-no-key", chatLine("shared-no-key"), Map.of());
                TestKafka.send(producer, topics.requests(), "shared-b", chatLine("shared-b").replace("\"model\":\"m\"",
                        "\"model\":\"n\""), B_KEY);
            }
            try (KafkaConsumer<String, String> aRead = TestKafka.reader(aResults);
                    KafkaConsumer<String, String> shared = TestKafka.reader(topics.results());
                    KafkaConsumer<String, String> dlq = TestKafka.reader(topics.dlq())) {
                assertThat(TestKafka.readAtLeast(aRead, 2, Duration.ofSeconds(30))).extracting(ConsumerRecord::key)
                        .containsExactlyInAnyOrder("a-plain", "a-keyed-b");
                assertThat(TestKafka.readAtLeast(shared, 1, Duration.ofSeconds(30))).extracting(ConsumerRecord::key)
                        .containsExactly("shared-b");
                Map<String, ConsumerRecord<String, String>> dead = TestKafka.readAtLeast(dlq, 2, Duration.ofSeconds(30))
                        .stream().collect(Collectors.toMap(ConsumerRecord::key, Function.identity()));
                assertThat(dead).containsOnlyKeys("a-keyed-b-n", "shared-no-key");
                assertThat(reason(dead.get("a-keyed-b-n"))).isEqualTo("model_not_allowed");
                assertThat(reason(dead.get("shared-no-key"))).isEqualTo("missing_api_key");
                assertThat(header(dead.get("a-keyed-b-n"), "ilb-source")).startsWith(aJobs + "/");
            }
            // five jobs sent: three results and two dead letters, none more
            BatchIntake intake = BatchRetryTest.intake(ilb);
            assertThat(intake.results()).isEqualTo(3);
            assertThat(intake.deadLetters()).isEqualTo(2);
            assertThat(requests(ilb, "a", "batch", "success")).isEqualTo(2);
            assertThat(requests(ilb, "b", "batch", "success")).isEqualTo(1);
            // a's topic has its consumer lag measured
            await().atMost(Duration.ofSeconds(30)).until(() -> lag(ilb, aJobs) == 0);
        }
    }

    @Test
    void aJobAsksForAClassUpToItsTenantsMostOnTheSharedTopicAndItsOwn() throws Exception {
        TestKafka.Topics topics = TestKafka.topics(1);
        String vipJobs = topics.requests() + ".vip";
        try (Servers servers = new Servers()) {
            // vip is standard at most, and may have batch jobs served as interactive requests
            Appliance ilb = servers.ilb(pools(servers), topics.ilbProperties("ilb.tenants=test,vip",
                    "ilb.tenant.vip.apiKeys=sk-vip", "ilb.tenant.vip.priority=standard",
                    "ilb.tenant.vip.interactiveBatch=true", "ilb.tenant.vip.requestsTopic=" + vipJobs));
            try (KafkaProducer<String, String> producer = TestKafka.producer()) {
                TestKafka.send(producer, topics.requests(), "vip-critical", chatLine("vip-critical"),
                        Map.of("authorization", "Bearer sk-vip", "ilb-priority", "critical"));
                TestKafka.send(producer, topics.requests(), "vip-interactive", chatLine("vip-interactive"),
                        Map.of("authorization", "Bearer sk-vip", "ilb-priority", "interactive"));
                TestKafka.send(producer, vipJobs, "vip-sheddable", chatLine("vip-sheddable"),
                        Map.of("ilb-priority", "sheddable"));
                // a tenant that may not ask stays batch, whatever it asks
                TestKafka.send(producer, topics.requests(), "test-critical", chatLine("test-critical"),
                        Map.of("authorization", KEY.get("authorization"), "ilb-priority", "critical"));
            }
            try (KafkaConsumer<String, String> results = TestKafka.reader(topics.results());
                    KafkaConsumer<String, String> dlq = TestKafka.reader(topics.dlq())) {
                assertThat(TestKafka.readAtLeast(results, 3, Duration.ofSeconds(30))).extracting(ConsumerRecord::key)
                        .containsExactlyInAnyOrder("vip-interactive", "vip-sheddable", "test-critical");
                ConsumerRecord<String, String> dead = TestKafka.readAtLeast(dlq, 1, Duration.ofSeconds(30)).get(0);
                assertThat(dead.key()).isEqualTo("vip-critical");
                assertThat(reason(dead)).isEqualTo("priority_not_allowed");
                assertThat(header(dead, "ilb-error")).contains("standard at most, not critical");
            }
            // four jobs sent: three results and one dead letter, each served in the class it asked for
            BatchIntake intake = BatchRetryTest.intake(ilb);
            assertThat(intake.results()).isEqualTo(3);
            assertThat(intake.deadLetters()).isEqualTo(1);
            assertThat(requests(ilb, "vip", "standard", "success")).isEqualTo(1);
            assertThat(requests(ilb, "vip", "sheddable", "success")).isEqualTo(1);
            assertThat(requests(ilb, "test", "batch", "success")).isEqualTo(1);
            assertThat(requests(ilb, "vip", "critical", "success")).isZero();
            // the job that asked too much is counted as refused, in its tenant's own class
            assertThat(requests(ilb, "vip", "standard", "forbidden")).isEqualTo(1);
        }
    }

    /** With auth on, a tenant that has only a topic of its own is someone ilb can serve, while batch jobs run. */
    @Test
    void aTenantWithOnlyATopicIsEnoughToStartWhileBatchJobsRun() throws Exception {
        TestKafka.Topics topics = TestKafka.topics(1);
        String aJobs = topics.requests() + ".a";
        try (Servers servers = new Servers()) {
            Appliance ilb = servers.ilb(pools(servers), topics.ilbProperties("ilb.tenants=a",
                    "ilb.tenant.a.requestsTopic=" + aJobs));
            try (KafkaProducer<String, String> producer = TestKafka.producer()) {
                TestKafka.send(producer, aJobs, "a-1", chatLine("a-1"), Map.of());
            }
            try (KafkaConsumer<String, String> results = TestKafka.reader(topics.results())) {
                assertThat(TestKafka.readAtLeast(results, 1, Duration.ofSeconds(30))).extracting(ConsumerRecord::key)
                        .containsExactly("a-1");
            }
            assertThat(BatchRetryTest.intake(ilb).results()).isEqualTo(1);
            assertThat(BatchRetryTest.intake(ilb).deadLetters()).isZero();
            // nobody has a key: the inference API refuses everyone
            assertThat(ilb.post("/v1/chat/completions", Appliance.chat("m", 1)).statusCode()).isEqualTo(401);
        }
        assertThatThrownBy(() -> Appliance.start(PoolRoute.pool("m", "round-robin", PoolRoute.backend("a",
                "http://127.0.0.1:9")), topics.ilbProperties("ilb.batch.enabled=false", "ilb.tenants=a",
                        "ilb.tenant.a.requestsTopic=" + aJobs)))
                .rootCause().hasMessageStartingWith("No tenant has an API key (nor, with batch jobs on, a requests"
                        + " topic of its own) and authentication is on: nobody could use ilb.");
    }

    @Test
    void twoTenantsSharingATopicOrATenantOnTheSharedTopicStopTheStart() {
        TestKafka.Topics topics = TestKafka.topics(1);
        String pool = PoolRoute.pool("m", "round-robin", PoolRoute.backend("a", "http://127.0.0.1:9"));
        assertThatThrownBy(() -> Appliance.start(pool, topics.ilbProperties("ilb.tenants=test,a,b",
                "ilb.tenant.a.requestsTopic=jobs.ab", "ilb.tenant.b.requestsTopic=jobs.ab")))
                .rootCause().hasMessage("ilb.tenant.a.requestsTopic and ilb.tenant.b.requestsTopic are both"
                        + " 'jobs.ab': a requests topic is one tenant's, whose jobs need no key");
        assertThatThrownBy(() -> Appliance.start(pool, topics.ilbProperties("ilb.tenants=test,a",
                "ilb.tenant.a.requestsTopic=" + topics.requests())))
                .rootCause().hasMessage("ilb.tenant.a.requestsTopic '" + topics.requests() + "' is also in"
                        + " ilb.batch.requestsTopic, whose jobs name their tenant by API key: give tenant a a topic"
                        + " of its own");
    }

    /** Pools of models m and n, each on a fast simulated backend. */
    private static String pools(Servers servers) {
        return PoolRoute.pool("m", "least-request", PoolRoute.backend("m-0", servers.fastBackend()))
                + PoolRoute.pool("n", "least-request", PoolRoute.backend("n-0", servers.backend(
                        new SimulatorOptions().models("n").ttftMs(1).itlMs(1))));
    }

    private static MeterRegistry meters(Appliance ilb) {
        return ilb.context().getRegistry().lookupByNameAndType(MicrometerConstants.METRICS_REGISTRY_NAME,
                MeterRegistry.class);
    }

    /** Requests a tenant's jobs made of the pools in a class, whatever their outcome. */
    private static double requests(Appliance ilb, String tenant, String priority, String outcome) {
        return meters(ilb).find("ilb.requests").tag("tenant", tenant).tag("priority", priority).tag("outcome", outcome)
                .counters().stream().mapToDouble(Counter::count).sum();
    }

    private static double lag(Appliance ilb, String topic) {
        var gauge = meters(ilb).find("ilb.batch.consumer.lag.records").tag("topic", topic).gauge();
        return gauge == null ? Double.NaN : gauge.value();
    }
}
