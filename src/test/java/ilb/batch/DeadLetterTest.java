package ilb.batch;

import static ilb.batch.BatchJobsTest.JSON;
import static ilb.batch.BatchJobsTest.KEY;
import static ilb.batch.BatchJobsTest.chatLine;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import ilb.Appliance;
import ilb.PoolRoute;
import ilb.Servers;
import ilb.simulator.SimulatedBackend;
import ilb.telemetry.Scrape;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;

/** Jobs ilb cannot do land on the dead-letter topic with the reason; none is dropped, the good ones still run. */
class DeadLetterTest {

    @Test
    void jobsThatCannotBeDoneGoToTheDeadLetterTopicWithTheirReason() throws Exception {
        TestKafka.Topics topics = TestKafka.topics(1);
        try (Servers servers = new Servers()) {
            SimulatedBackend backend = servers.fastBackend();
            int port = Appliance.freePort();
            servers.ilb(PoolRoute.pool("m", "round-robin", PoolRoute.backend("a", backend)), topics.ilbProperties(
                    "camel.management.enabled=true", "camel.management.host=127.0.0.1",
                    "camel.management.port=" + port));
            try (KafkaProducer<String, String> producer = TestKafka.producer()) {
                TestKafka.send(producer, topics.requests(), "poison", "{\"custom_id\": \"poison\", oops", KEY);
                TestKafka.send(producer, topics.requests(), "unknown-model", chatLine("unknown-model")
                        .replace("\"model\":\"m\"", "\"model\":\"gpt-17\""), KEY);
                TestKafka.send(producer, topics.requests(), "no-key", chatLine("no-key"), Map.of());
                TestKafka.send(producer, topics.requests(), "streamed", chatLine("streamed")
                        .replace("\"max_tokens\"", "\"stream\":true,\"max_tokens\""), KEY);
                TestKafka.send(producer, topics.requests(), "bad-url", chatLine("bad-url")
                        .replace("/v1/chat/completions", "/v1/chat%zz/completions"), KEY);
                TestKafka.send(producer, topics.requests(), "good", chatLine("good"), KEY);
            }
            Map<String, ConsumerRecord<String, String>> dead;
            try (KafkaConsumer<String, String> dlq = TestKafka.reader(topics.dlq())) {
                dead = TestKafka.readAtLeast(dlq, 5, Duration.ofSeconds(30)).stream()
                        .collect(Collectors.toMap(ConsumerRecord::key, Function.identity()));
            }
            assertThat(dead).containsOnlyKeys("poison", "unknown-model", "no-key", "streamed", "bad-url");
            assertThat(header(dead.get("bad-url"), "ilb-error")).startsWith("'url' must be /v1/chat/completions");
            assertThat(reason(dead.get("poison"))).isEqualTo("invalid_request");
            assertThat(header(dead.get("poison"), "ilb-error")).startsWith("The line is not valid JSON");
            assertThat(reason(dead.get("unknown-model"))).isEqualTo("model_not_found");
            assertThat(reason(dead.get("no-key"))).isEqualTo("missing_api_key");
            assertThat(header(dead.get("streamed"), "ilb-error")).contains("cannot stream");

            JsonNode poison = JSON.readTree(dead.get("poison").value());
            assertThat(poison.get("line").asText()).isEqualTo("{\"custom_id\": \"poison\", oops");
            assertThat(poison.at("/error/code").asText()).isEqualTo("invalid_request");
            assertThat(poison.get("source").asText()).startsWith(topics.requests() + "/0@");
            // the API key of a job never reaches another topic
            assertThat(dead.values()).allSatisfy(record -> {
                assertThat(record.value()).doesNotContain("sk-test");
                for (Header header : record.headers()) {
                    assertThat(new String(header.value())).doesNotContain("sk-test");
                }
            });

            try (KafkaConsumer<String, String> results = TestKafka.reader(topics.results())) {
                List<ConsumerRecord<String, String>> read = TestKafka.readAtLeast(results, 1, Duration.ofSeconds(30));
                assertThat(read).extracting(ConsumerRecord::key).containsExactly("good");
            }
            // each job once in ilb_requests_total: the refused by why, with their tenant once their key was read
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                Scrape scrape = Scrape.of(port);
                assertThat(scrape.sum("ilb_requests_total")).isEqualTo(6);
                assertThat(scrape.sum("ilb_requests_total", "model=m", "tenant=test", "outcome=success"))
                        .isEqualTo(1);
                assertThat(scrape.sum("ilb_requests_total", "model=", "protocol=http", "tenant=test",
                        "outcome=not_found")).isEqualTo(1);
                assertThat(scrape.sum("ilb_requests_total", "tenant=", "outcome=unauthorized")).isEqualTo(1);
                // poison, streamed and bad-url: refused by their line, before their key is read
                assertThat(scrape.sum("ilb_requests_total", "tenant=", "outcome=invalid_request")).isEqualTo(3);
            });
        }
    }

    static String reason(ConsumerRecord<String, String> record) {
        return header(record, "ilb-error-code");
    }

    static String header(ConsumerRecord<String, String> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value());
    }
}
