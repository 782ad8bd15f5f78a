package ilb.batch;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.apache.camel.support.service.ServiceSupport;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How many batch jobs wait on Kafka for ilb's consumer group, per requests topic: the records after the group's
 * committed offset (or after the start of a partition it has not committed on yet). Asked of the cluster every
 * interval on a thread of its own, so that a scrape never waits on Kafka; the autoscaling signal for batch work.
 */
public final class ConsumerLag extends ServiceSupport {

    private static final Logger LOG = LoggerFactory.getLogger(ConsumerLag.class);

    private final String brokers;
    private final String groupId;
    private final List<String> topics;
    private final long intervalMillis;
    private final ScheduledExecutorService timer;
    private final Map<String, Long> lag = new ConcurrentHashMap<>();
    private Admin admin;
    private ScheduledFuture<?> task;
    private boolean failing;

    public ConsumerLag(String brokers, String groupId, List<String> topics, long intervalMillis,
            ScheduledExecutorService timer) {
        this.brokers = brokers;
        this.groupId = groupId;
        this.topics = topics;
        this.intervalMillis = intervalMillis;
        this.timer = timer;
    }

    public List<String> topics() {
        return topics;
    }

    /** Records waiting in the topic at the last look; -1 before the first one succeeds and after one fails. */
    public long lag(String topic) {
        return lag.getOrDefault(topic, -1L);
    }

    @Override
    protected void doStart() {
        admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, brokers,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000, AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
                10_000));
        task = timer.scheduleWithFixedDelay(this::measure, 0, intervalMillis, TimeUnit.MILLISECONDS);
    }

    @Override
    protected void doStop() {
        if (task != null) {
            task.cancel(false);
        }
        if (admin != null) {
            admin.close(Duration.ofSeconds(2));
        }
    }

    void measure() {
        try {
            List<TopicPartition> partitions = admin.describeTopics(topics).allTopicNames().get(10, TimeUnit.SECONDS)
                    .values().stream().flatMap(t -> t.partitions().stream()
                            .map(p -> new TopicPartition(t.name(), p.partition()))).toList();
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(groupId)
                    .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = offsets(partitions,
                    OffsetSpec.latest());
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> starts = offsets(partitions,
                    OffsetSpec.earliest());
            Map<String, Long> byTopic = new HashMap<>();
            for (TopicPartition partition : partitions) {
                OffsetAndMetadata done = committed.get(partition);
                long from = Math.max(starts.get(partition).offset(), done == null ? 0 : done.offset());
                byTopic.merge(partition.topic(), Math.max(0, ends.get(partition).offset() - from), Long::sum);
            }
            lag.putAll(byTopic);
            if (failing) {
                failing = false;
                LOG.info("Batch consumer lag is measured again");
            }
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            // an old figure would keep autoscaling going on what no longer is: unknown until Kafka answers again
            lag.clear();
            if (!failing) {
                failing = true;
                LOG.warn("Could not measure the batch consumer lag on Kafka {}: {}", brokers, e.toString());
            }
        }
    }

    private Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> offsets(List<TopicPartition> partitions,
            OffsetSpec spec) throws Exception {
        return admin.listOffsets(partitions.stream().collect(Collectors.toMap(Function.identity(), p -> spec)))
                .all().get(10, TimeUnit.SECONDS);
    }
}
