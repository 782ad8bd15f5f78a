package ilb.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** The jobs waiting on Kafka for ilb's group: all of a topic before any commit, what follows the commits after. */
class ConsumerLagTest {

    @Test
    void lagIsTheRecordsAfterTheGroupsCommittedOffsets() throws Exception {
        TestKafka.Topics topics = TestKafka.topics(2);
        try (KafkaProducer<String, String> producer = TestKafka.producer()) {
            for (int i = 0; i < 10; i++) {
                TestKafka.send(producer, topics.requests(), "job-" + i, "{}", Map.of());
            }
            producer.flush();
        }
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        ConsumerLag lag = new ConsumerLag(TestKafka.bootstrap(), topics.group(), List.of(topics.requests()), 3_600_000,
                timer);
        try {
            assertThat(lag.lag(topics.requests())).as("before the first look").isEqualTo(-1);
            lag.start();
            // its first look, at start
            await().atMost(Duration.ofSeconds(30)).until(() -> lag.lag(topics.requests()) == 10);

            // the group commits 3 records of partition 0 and all of partition 1
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", TestKafka.bootstrap()))) {
                TopicPartition p0 = new TopicPartition(topics.requests(), 0);
                TopicPartition p1 = new TopicPartition(topics.requests(), 1);
                long end1 = admin.listOffsets(Map.of(p1, org.apache.kafka.clients.admin.OffsetSpec.latest()))
                        .partitionResult(p1).get().offset();
                admin.alterConsumerGroupOffsets(topics.group(), Map.of(p0, new OffsetAndMetadata(3),
                        p1, new OffsetAndMetadata(end1))).all().get();
            }
            lag.measure();
            assertThat(lag.lag(topics.requests())).isEqualTo(Math.max(0, 10 - 3 - countIn(topics, 1)));
        } finally {
            lag.stop();
            timer.shutdownNow();
        }
    }

    private static long countIn(TestKafka.Topics topics, int partition) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", TestKafka.bootstrap()))) {
            TopicPartition tp = new TopicPartition(topics.requests(), partition);
            return admin.listOffsets(Map.of(tp, org.apache.kafka.clients.admin.OffsetSpec.latest())).partitionResult(tp)
                    .get().offset();
        }
    }
}
