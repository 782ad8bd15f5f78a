package ilb.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import ilb.Appliance;
import ilb.PoolRoute;
import ilb.Servers;
import ilb.simulator.SimulatedBackend;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;

/** Batch jobs from a real Kafka broker through ilb to simulated backends, and their results back on Kafka. */
class BatchJobsTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final Map<String, String> KEY = Map.of("authorization", "Bearer " + Appliance.API_KEY);

    static String chatLine(String customId) {
        return "{\"custom_id\":\"" + customId + "\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\","
                + "\"body\":{\"model\":\"m\",\"max_tokens\":3,\"messages\":[{\"role\":\"user\",\"content\":\"hi "
                + customId + "\"}]}}";
    }

    @Test
    void everyJobOfAThousandGetsOneResultLine() throws Exception {
        TestKafka.Topics topics = TestKafka.topics(4);
        try (Servers servers = new Servers()) {
            SimulatedBackend a = servers.fastBackend();
            SimulatedBackend b = servers.fastBackend();
            servers.ilb(PoolRoute.pool("m", "least-request", PoolRoute.backend("a", a), PoolRoute.backend("b", b)),
                    topics.ilbProperties());
            try (KafkaProducer<String, String> producer = TestKafka.producer()) {
                for (int i = 0; i < 1000; i++) {
                    TestKafka.send(producer, topics.requests(), "job-" + i, chatLine("job-" + i), KEY);
                }
            }
            try (KafkaConsumer<String, String> results = TestKafka.reader(topics.results())) {
                List<ConsumerRecord<String, String>> read = TestKafka.readAtLeast(results, 1000, Duration.ofSeconds(60));
                Set<String> ids = read.stream().map(ConsumerRecord::key).collect(Collectors.toSet());
                assertThat(ids).hasSize(1000).contains("job-0", "job-999");
                JsonNode line = JSON.readTree(read.get(0).value());
                assertThat(line.get("custom_id").asText()).isEqualTo(read.get(0).key());
                assertThat(line.get("id").asText()).startsWith("batch_req_");
                assertThat(line.get("error").isNull()).isTrue();
                assertThat(line.at("/response/status_code").asInt()).isEqualTo(200);
                assertThat(line.at("/response/body/object").asText()).isEqualTo("chat.completion");
                assertThat(line.at("/response/request_id").asText()).isNotEmpty();
            }
        }
    }

    @Test
    void aKServeInferJobGetsItsResultTheSameWay() throws Exception {
        TestKafka.Topics topics = TestKafka.topics(1);
        try (Servers servers = new Servers()) {
            SimulatedBackend backend = servers.fastBackend();
            servers.ilb(PoolRoute.pool("m", "least-request", PoolRoute.backend("a", backend)), topics.ilbProperties());
            try (KafkaProducer<String, String> producer = TestKafka.producer()) {
                TestKafka.send(producer, topics.requests(), "tensor-1", "{\"custom_id\":\"tensor-1\",\"method\":\"POST\","
                        + "\"url\":\"/v2/models/m/infer\",\"body\":{\"inputs\":[{\"name\":\"INPUT0\",\"shape\":[1,3],"
                        + "\"datatype\":\"FP32\",\"data\":[1,2,3]}]}}", KEY);
            }
            try (KafkaConsumer<String, String> results = TestKafka.reader(topics.results())) {
                JsonNode line = JSON.readTree(TestKafka.readAtLeast(results, 1, Duration.ofSeconds(30)).get(0).value());
                assertThat(line.get("custom_id").asText()).isEqualTo("tensor-1");
                assertThat(line.at("/response/status_code").asInt()).isEqualTo(200);
                assertThat(line.at("/response/body/model_name").asText()).isEqualTo("m");
                assertThat(line.at("/response/body/outputs").isArray()).isTrue();
            }
        }
    }

    @Test
    void aTenantWithAResultsTopicOfItsOwnGetsItsResultsThereAndNowhereElse() throws Exception {
        TestKafka.Topics topics = TestKafka.topics(1);
        String own = topics.results() + ".team-b";
        try (Servers servers = new Servers()) {
            SimulatedBackend backend = servers.fastBackend();
            servers.ilb(PoolRoute.pool("m", "least-request", PoolRoute.backend("a", backend)), topics.ilbProperties(
                    "ilb.tenants=test,team-b", "ilb.tenant.team-b.apiKeys=sk-b", "ilb.tenant.team-b.models=*",
                    "ilb.tenant.team-b.batchResultsTopic=" + own));
            try (KafkaProducer<String, String> producer = TestKafka.producer();
                    KafkaConsumer<String, String> teamB = TestKafka.reader(own);
                    KafkaConsumer<String, String> shared = TestKafka.reader(topics.results())) {
                TestKafka.send(producer, topics.requests(), "b-1", chatLine("b-1"), Map.of("authorization", "Bearer sk-b"));
                TestKafka.send(producer, topics.requests(), "test-1", chatLine("test-1"), KEY);
                assertThat(keys(TestKafka.readAtLeast(teamB, 1, Duration.ofSeconds(30)))).containsExactly("b-1");
                // a marker, sent once b-1's result is out: ilb writes the marker's result after anything it wrote
                // for b-1, so once the marker's is on the shared topic (one partition), a copy of b-1's would be too
                TestKafka.send(producer, topics.requests(), "test-marker", chatLine("test-marker"), KEY);
                producer.flush();
                List<String> onShared = new ArrayList<>();
                await().atMost(Duration.ofSeconds(30)).until(() -> {
                    shared.poll(Duration.ofMillis(100)).forEach(record -> onShared.add(record.key()));
                    return onShared.containsAll(List.of("test-1", "test-marker"));
                });
                assertThat(onShared).containsExactlyInAnyOrder("test-1", "test-marker");
            }
        }
    }

    private static List<String> keys(List<ConsumerRecord<String, String>> records) {
        return records.stream().map(ConsumerRecord::key).toList();
    }

    /** Camel suspends the consumer before it stops or reloads a route: the poll in hand must not be lost. */
    @Test
    void suspendingAndResumingTheConsumerLosesNoJob() throws Exception {
        TestKafka.Topics topics = TestKafka.topics(2);
        try (Servers servers = new Servers()) {
            SimulatedBackend backend = servers.backend(new ilb.simulator.SimulatorOptions().models("m").ttftMs(5)
                    .itlMs(2).maxNumSeqs(4));
            Appliance ilb = servers.ilb(PoolRoute.pool("m", "least-request", PoolRoute.backend("a", backend,
                    "capacity: 4")), topics.ilbProperties("ilb.batch.maxPollRecords=50"));
            try (KafkaProducer<String, String> producer = TestKafka.producer()) {
                for (int i = 0; i < 200; i++) {
                    TestKafka.send(producer, topics.requests(), "job-" + i, chatLine("job-" + i)
                            .replace("\"max_tokens\":3", "\"max_tokens\":10"), KEY);
                }
            }
            try (KafkaConsumer<String, String> results = TestKafka.reader(topics.results())) {
                Set<String> ids = new java.util.HashSet<>();
                // early, while a partition may have no committed offset yet
                TestKafka.readAtLeast(results, 1, Duration.ofSeconds(60)).forEach(r -> ids.add(r.key()));
                ilb.context().getRouteController().suspendRoute("batch-intake");
                assertThat(ilb.context().getRouteController().getRouteStatus("batch-intake"))
                        .isEqualTo(org.apache.camel.ServiceStatus.Suspended);
                ilb.context().getRouteController().resumeRoute("batch-intake");
                org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(90)).until(() -> {
                    results.poll(Duration.ofMillis(100)).forEach(r -> ids.add(r.key()));
                    return ids.size() == 200;
                });
            }
        }
    }
}
