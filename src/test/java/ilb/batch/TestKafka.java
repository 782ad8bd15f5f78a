package ilb.batch;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import ilb.Appliance;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * One real Kafka broker (KRaft, in this JVM, on free loopback ports) for all batch tests, started on first use;
 * each test gets topics and a consumer group of its own, so tests never see each other's jobs.
 */
final class TestKafka {

    private static final AtomicInteger RUNS = new AtomicInteger();
    private static EmbeddedKafka broker;

    private TestKafka() {
    }

    static synchronized String bootstrap() {
        if (broker == null) {
            Path dir = Path.of("target", "kafka-test-" + ProcessHandle.current().pid());
            broker = new EmbeddedKafka(Appliance.freePort(), Appliance.freePort(), dir, 4);
            broker.start();
            Runtime.getRuntime().addShutdownHook(new Thread(broker::stop));
        }
        return broker.bootstrapServers();
    }

    /** Fresh topics and group for one test; the jobs topic has {@code partitions} partitions. */
    static Topics topics(int partitions) {
        return topics(partitions, Map.of());
    }

    /** The same, with topic configs for the dead-letter topic (e.g. a small {@code max.message.bytes}). */
    static Topics topics(int partitions, Map<String, String> dlqConfigs) {
        String run = "t" + RUNS.incrementAndGet() + "-" + UUID.randomUUID().toString().substring(0, 8);
        Topics topics = new Topics("jobs." + run, "results." + run, "dlq." + run, "ilb." + run);
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap()))) {
            List<String> names = List.of(topics.requests(), topics.results(), topics.dlq());
            admin.createTopics(List.of(new NewTopic(topics.requests(), partitions, (short) 1),
                    new NewTopic(topics.results(), partitions, (short) 1), new NewTopic(topics.dlq(), 1, (short) 1).configs(dlqConfigs)))
                    .all().get();
            // a producer that writes before every partition has its leader gets NOT_LEADER, and an idempotent
            // one may then see its first batch refused as out of order: wait for the leaders
            org.awaitility.Awaitility.await("leaders of the test topics").atMost(java.time.Duration.ofSeconds(30))
                    .until(() -> admin.describeTopics(names).allTopicNames().get().values().stream()
                            .allMatch(topic -> topic.partitions().stream().allMatch(p -> p.leader() != null)));
        } catch (Exception e) {
            throw new IllegalStateException("could not create test topics", e);
        }
        return topics;
    }

    /** The topics and consumer group of one test, and the ilb properties that point at them. */
    record Topics(String requests, String results, String dlq, String group) {

        String[] ilbProperties(String... more) {
            List<String> properties = new ArrayList<>(List.of("ilb.batch.enabled=true",
                    "camel.component.kafka.brokers=" + bootstrap(), "ilb.batch.requestsTopic=" + requests,
                    "ilb.batch.resultsTopic=" + results, "ilb.batch.dlqTopic=" + dlq, "ilb.batch.groupId=" + group,
                    "ilb.batch.sessionTimeoutMs=6000", "ilb.batch.retryBackoffMillis=20", "ilb.batch.deferMillis=20"));
            properties.addAll(List.of(more));
            return properties.toArray(String[]::new);
        }
    }

    /** A producer of job lines, as a user's would be: string keys and values, headers as given. */
    static KafkaProducer<String, String> producer() {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap(),
                ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1),
                new StringSerializer(), new StringSerializer());
    }

    static void send(KafkaProducer<String, String> producer, String topic, String key, String line,
            Map<String, String> headers) {
        ProducerRecord<String, String> record = new ProducerRecord<>(topic, key, line);
        headers.forEach((name, value) -> record.headers().add(name, value.getBytes()));
        producer.send(record);
    }

    /** Reads a topic from its beginning, as a collector of results would. */
    static KafkaConsumer<String, String> reader(String topic) {
        KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap(),
                ConsumerConfig.GROUP_ID_CONFIG, "reader-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false"), new StringDeserializer(), new StringDeserializer());
        consumer.subscribe(List.of(topic));
        return consumer;
    }

    /** Polls until {@code count} records are read (or fails after the timeout); returns all read. */
    static List<ConsumerRecord<String, String>> readAtLeast(KafkaConsumer<String, String> consumer, int count,
            Duration timeout) {
        List<ConsumerRecord<String, String>> read = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (read.size() < count) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("read " + read.size() + " records of " + count + " within " + timeout);
            }
            consumer.poll(Duration.ofMillis(200)).forEach(read::add);
        }
        return read;
    }
}
