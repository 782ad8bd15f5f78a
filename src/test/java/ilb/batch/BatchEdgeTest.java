package ilb.batch;

import static ilb.batch.BatchJobsTest.JSON;
import static ilb.batch.BatchJobsTest.KEY;
import static ilb.batch.BatchJobsTest.chatLine;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import javax.management.MBeanServer;
import javax.management.ObjectName;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import ilb.Appliance;
import ilb.PoolRoute;
import ilb.Servers;
import ilb.inference.ExchangeProperties;
import ilb.simulator.SimulatedBackend;
import org.apache.camel.builder.AdviceWith;
import org.apache.camel.component.micrometer.MicrometerConstants;
import org.apache.camel.component.micrometer.MicrometerUtils;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;

/** Jobs at the edge of what ilb takes: bad urls, huge fields, dead letters Kafka refuses. Every job has an outcome. */
class BatchEdgeTest {

    @Test
    void aDeadLetterKafkaRefusesHoldsItsJobUncommittedUntilTheTopicTakesIt() throws Exception {
        // far below the dead letter of the large job, far above those of the others
        TestKafka.Topics topics = TestKafka.topics(1, Map.of("max.message.bytes", "4096"));
        try (Servers servers = new Servers(); Admin admin = Admin.create(Map.of("bootstrap.servers",
                TestKafka.bootstrap()))) {
            SimulatedBackend backend = servers.fastBackend();
            Appliance ilb = servers.ilb(PoolRoute.pool("m", "round-robin", PoolRoute.backend("a", backend)),
                    topics.ilbProperties());
            // offsets 0..4; the job at offset 2 is refused by ilb (its url), with a line of 20 KB
            List<String> good = List.of("good-0", "good-1", "good-2", "good-3");
            ObjectNode large = (ObjectNode) JSON.readTree(chatLine("large"));
            large.put("url", "/v1/chat/completions?padding");
            ((ObjectNode) large.get("body")).put("padding", "x".repeat(20_000));
            try (KafkaProducer<String, String> producer = TestKafka.producer()) {
                TestKafka.send(producer, topics.requests(), "good-0", chatLine("good-0"), KEY);
                TestKafka.send(producer, topics.requests(), "good-1", chatLine("good-1"), KEY);
                TestKafka.send(producer, topics.requests(), "large", JSON.writeValueAsString(large), KEY);
                TestKafka.send(producer, topics.requests(), "good-2", chatLine("good-2"), KEY);
                TestKafka.send(producer, topics.requests(), "good-3", chatLine("good-3"), KEY);
            }
            BatchIntake intake = BatchRetryTest.intake(ilb);
            try (KafkaConsumer<String, String> results = TestKafka.reader(topics.results())) {
                assertThat(keys(TestKafka.readAtLeast(results, 4, Duration.ofSeconds(30))))
                        .containsExactlyInAnyOrderElementsOf(good);
            }
            // the good jobs before it are committed, nothing from it on
            await().atMost(Duration.ofSeconds(30)).until(() -> committed(admin, topics) == 2);
            await().atMost(Duration.ofSeconds(30)).until(() -> refusedMeter(ilb) >= 2);
            double refused = refusedMeter(ilb);
            // written again and refused again: meanwhile the jobs after it are done, and still not committed
            await().atMost(Duration.ofSeconds(30)).until(() -> refusedMeter(ilb) > refused);
            assertThat(committed(admin, topics)).isEqualTo(2);
            assertThat(intake.deadLetters()).isZero();

            admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.TOPIC, topics.dlq()),
                    List.of(new AlterConfigOp(new ConfigEntry("max.message.bytes", "1048588"),
                            AlterConfigOp.OpType.SET)))).all().get();
            try (KafkaConsumer<String, String> dlq = TestKafka.reader(topics.dlq())) {
                ConsumerRecord<String, String> dead = TestKafka.readAtLeast(dlq, 1, Duration.ofSeconds(60)).get(0);
                assertThat(dead.key()).isEqualTo("large");
                assertThat(DeadLetterTest.reason(dead)).isEqualTo("invalid_request");
                assertThat(dead.value().length()).isGreaterThan(20_000);
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> committed(admin, topics) == 5);
            // every job sent has exactly one outcome
            assertThat(intake.results()).isEqualTo(4);
            assertThat(intake.deadLetters()).isEqualTo(1);
            assertThat(backend.inferenceRequests()).isEqualTo(4);
        }
    }

    @Test
    void aJobWithAHugeCustomIdOrModelNameGetsABoundedDeadLetter() throws Exception {
        TestKafka.Topics topics = TestKafka.topics(1);
        String hugeId = "id-" + "i".repeat(200_000);
        String hugeModel = "model-" + "m".repeat(800_000);
        try (Servers servers = new Servers()) {
            SimulatedBackend backend = servers.fastBackend();
            Appliance ilb = servers.ilb(PoolRoute.pool("m", "round-robin", PoolRoute.backend("a", backend)),
                    topics.ilbProperties());
            try (KafkaProducer<String, String> producer = TestKafka.producer()) {
                TestKafka.send(producer, topics.requests(), hugeId, chatLine(hugeId), KEY);
                TestKafka.send(producer, topics.requests(), "huge-model", chatLine("huge-model")
                        .replace("\"model\":\"m\"", "\"model\":\"" + hugeModel + "\""), KEY);
                TestKafka.send(producer, topics.requests(), "good", chatLine("good"), KEY);
            }
            Map<String, ConsumerRecord<String, String>> dead;
            try (KafkaConsumer<String, String> dlq = TestKafka.reader(topics.dlq())) {
                dead = TestKafka.readAtLeast(dlq, 2, Duration.ofSeconds(30)).stream()
                        .collect(Collectors.toMap(r -> r.key().substring(0, Math.min(8, r.key().length())), r -> r));
            }
            assertThat(dead).containsOnlyKeys("id-iiiii", "huge-mod");
            ConsumerRecord<String, String> longId = dead.get("id-iiiii");
            assertThat(longId.key()).isEqualTo(hugeId.substring(0, 512));
            assertThat(DeadLetterTest.reason(longId)).isEqualTo("invalid_request");
            assertThat(DeadLetterTest.header(longId, "ilb-error")).contains("longer than 512 characters");
            JsonNode longIdValue = JSON.readTree(longId.value());
            assertThat(longIdValue.get("custom_id").asText()).isEqualTo(hugeId.substring(0, 512));
            assertThat(longIdValue.get("custom_id_truncated").asBoolean()).isTrue();

            ConsumerRecord<String, String> longModel = dead.get("huge-mod");
            assertThat(DeadLetterTest.reason(longModel)).isEqualTo("model_not_found");
            assertThat(DeadLetterTest.header(longModel, "ilb-error")).contains("model-mmm").hasSizeLessThan(2100);
            assertThat(JSON.readTree(longModel.value()).get("line_truncated").asBoolean()).isTrue();
            assertThat(dead.values()).allSatisfy(record -> assertThat(size(record)).isLessThan(512 * 1024));

            try (KafkaConsumer<String, String> results = TestKafka.reader(topics.results())) {
                assertThat(keys(TestKafka.readAtLeast(results, 1, Duration.ofSeconds(30)))).containsExactly("good");
            }
            BatchIntake intake = BatchRetryTest.intake(ilb);
            assertThat(intake.results() + intake.deadLetters()).isEqualTo(3);
            assertThat(backend.inferenceRequests()).isEqualTo(1);
        }
    }

    @Test
    void badUrlsAllEndInTheDeadLetterTopicAndNoneReachesTheBackend() throws Exception {
        TestKafka.Topics topics = TestKafka.topics(2);
        try (Servers servers = new Servers()) {
            SimulatedBackend backend = servers.fastBackend();
            Appliance ilb = servers.ilb(PoolRoute.pool("m", "round-robin", PoolRoute.backend("a", backend)),
                    topics.ilbProperties());
            List<String> bad = new ArrayList<>();
            try (KafkaProducer<String, String> producer = TestKafka.producer()) {
                for (int i = 0; i < BatchUrlTest.BAD.size(); i++) {
                    ObjectNode line = (ObjectNode) JSON.readTree(chatLine("bad-" + i));
                    line.put("url", BatchUrlTest.BAD.get(i));
                    TestKafka.send(producer, topics.requests(), "bad-" + i, JSON.writeValueAsString(line), KEY);
                    bad.add("bad-" + i);
                }
                TestKafka.send(producer, topics.requests(), "good-chat", chatLine("good-chat"), KEY);
                TestKafka.send(producer, topics.requests(), "good-infer", "{\"custom_id\":\"good-infer\","
                        + "\"method\":\"POST\",\"url\":\"/v2/models/m/infer\",\"body\":{\"inputs\":[{\"name\":"
                        + "\"INPUT0\",\"shape\":[1,1],\"datatype\":\"FP32\",\"data\":[1]}]}}", KEY);
            }
            try (KafkaConsumer<String, String> dlq = TestKafka.reader(topics.dlq())) {
                List<ConsumerRecord<String, String>> dead = TestKafka.readAtLeast(dlq, bad.size(),
                        Duration.ofSeconds(60));
                assertThat(keys(dead)).containsExactlyInAnyOrderElementsOf(bad);
                assertThat(dead).allSatisfy(record -> {
                    assertThat(DeadLetterTest.reason(record)).isEqualTo("invalid_request");
                    assertThat(DeadLetterTest.header(record, "ilb-error")).startsWith(BatchUrl.ACCEPTED);
                });
            }
            try (KafkaConsumer<String, String> results = TestKafka.reader(topics.results())) {
                assertThat(keys(TestKafka.readAtLeast(results, 2, Duration.ofSeconds(30))))
                        .containsExactlyInAnyOrder("good-chat", "good-infer");
            }
            BatchIntake intake = BatchRetryTest.intake(ilb);
            assertThat(intake.deadLetters()).isEqualTo(bad.size());
            assertThat(intake.results()).isEqualTo(2);
            // as the console's Inference view reads them
            ObjectName mbean = new ObjectName(BatchIntakeMBean.NAME);
            MBeanServer jmx = ManagementFactory.getPlatformMBeanServer();
            assertThat(jmx.getAttribute(mbean, "DeadLetters")).isEqualTo((long) bad.size());
            assertThat(jmx.getAttribute(mbean, "Results")).isEqualTo(2L);
            assertThat((int) jmx.getAttribute(mbean, "Limit")).isPositive();
            // only the good jobs reached the backend
            assertThat(backend.inferenceRequests()).isEqualTo(2);
        }
    }

    /** Each try reaches its model's pool with its deadline: here its poll's, which comes before its own. */
    @Test
    void eachTryCarriesItsDeadlineToItsPool() throws Exception {
        TestKafka.Topics topics = TestKafka.topics(1);
        try (Servers servers = new Servers()) {
            SimulatedBackend backend = servers.fastBackend();
            // a poll's tries must end 65 - 30 (delivery) - 15 (margin) = 20 s after it starts, a try's own 60 s
            // after: the job reaches its pool well within the first, however slow the machine
            Appliance ilb = servers.ilb(PoolRoute.pool("m", "round-robin", PoolRoute.backend("a", backend)),
                    topics.ilbProperties("ilb.batch.maxRunMillis=1000", "ilb.batch.jobTimeoutMillis=60000",
                            "ilb.batch.maxPollIntervalMs=65000", "ilb.batch.deliveryTimeoutMs=30000"));
            List<Long> left = new java.util.concurrent.CopyOnWriteArrayList<>();
            AdviceWith.adviceWith(ilb.context(), "batch-job", route -> route.weaveByToUri("model:*").before()
                    .process(e -> left.add(e.getProperty(ExchangeProperties.DEADLINE_NANOS, Long.class)
                            - System.nanoTime())));
            try (KafkaProducer<String, String> producer = TestKafka.producer()) {
                TestKafka.send(producer, topics.requests(), "job", chatLine("job"), KEY);
            }
            try (KafkaConsumer<String, String> results = TestKafka.reader(topics.results())) {
                assertThat(keys(TestKafka.readAtLeast(results, 1, Duration.ofSeconds(30)))).containsExactly("job");
            }
            assertThat(left).hasSize(1).allSatisfy(nanos -> assertThat(nanos).isPositive()
                    .isLessThanOrEqualTo(TimeUnit.SECONDS.toNanos(20)));
        }
    }

    private static List<String> keys(List<ConsumerRecord<String, String>> records) {
        return records.stream().map(ConsumerRecord::key).toList();
    }

    /** The record's value and headers, in bytes: what Kafka's size limit counts (besides a few bytes of framing). */
    private static long size(ConsumerRecord<String, String> record) {
        long size = record.value().getBytes(StandardCharsets.UTF_8).length
                + record.key().getBytes(StandardCharsets.UTF_8).length;
        for (Header header : record.headers()) {
            size += header.key().length() + header.value().length;
        }
        return size;
    }

    /** The consumer group's committed offset of the jobs topic's partition 0, or -1 for none. */
    private static long committed(Admin admin, TestKafka.Topics topics) throws Exception {
        OffsetAndMetadata offset = admin.listConsumerGroupOffsets(topics.group()).partitionsToOffsetAndMetadata()
                .get().get(new TopicPartition(topics.requests(), 0));
        return offset == null ? -1 : offset.offset();
    }

    /** ilb_batch_dead_letters_refused_total, as Prometheus would read it. */
    private static double refusedMeter(Appliance ilb) {
        return MicrometerUtils.getMeterRegistryFromCamelRegistry(ilb.context().getRegistry(),
                MicrometerConstants.METRICS_REGISTRY_NAME).get("ilb.batch.dead.letters.refused").functionCounter()
                .count();
    }
}
