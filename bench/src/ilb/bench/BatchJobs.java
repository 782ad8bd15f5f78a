package ilb.bench;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.function.Predicate;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The bench's side of ilb's batch topics, as a client of ilb's broker would use them: submits OpenAI Batch API input
 * lines to {@code ilb.requests} (key = custom_id) and watches {@code ilb.results} and {@code ilb.requests.dlq}.
 */
final class BatchJobs {

    static final String REQUESTS = "ilb.requests";
    static final String RESULTS = "ilb.results";
    static final String DEAD_LETTERS = "ilb.requests.dlq";
    private static final String PATH = "/v1/chat/completions";

    private BatchJobs() {
    }

    /** One result or dead letter as the broker has it: its custom_id and when ilb wrote it (record timestamp). */
    record Outcome(String customId, long timestampMillis, boolean deadLetter) {
        /** Whether it is of a job whose custom_id starts with {@code <prefix>-}. */
        boolean of(String prefix) {
            return customId != null && customId.startsWith(prefix + "-");
        }
    }

    /**
     * Submits {@code count} jobs, custom_ids {@code <prefix>-0, <prefix>-1, ...}, with header {@code ilb-priority:
     * interactive} when asked; returns once the broker has acknowledged them all.
     *
     * @return when the first was sent ({@link System#currentTimeMillis()}, the clock of record timestamps)
     */
    static long submit(String kafka, String prefix, int count, IntFunction<ChatRequest> request, boolean asInteractive)
            throws InterruptedException {
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka, ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.LINGER_MS_CONFIG, 5), new StringSerializer(), new ByteArraySerializer())) {
            List<Future<RecordMetadata>> sent = new ArrayList<>(count);
            long first = System.currentTimeMillis();
            for (int i = 0; i < count; i++) {
                String customId = prefix + "-" + i;
                ProducerRecord<String, byte[]> record = new ProducerRecord<>(REQUESTS, customId,
                        line(customId, request.apply(i)));
                if (asInteractive) {
                    record.headers().add("ilb-priority", "interactive".getBytes(StandardCharsets.UTF_8));
                }
                sent.add(producer.send(record));
            }
            producer.flush();
            for (Future<RecordMetadata> future : sent) {
                future.get(30, TimeUnit.SECONDS);
            }
            return first;
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("could not submit batch jobs to " + kafka + ": " + e.getMessage(), e);
        }
    }

    /** {@code {"custom_id", "method": "POST", "url": "/v1/chat/completions", "body": <the request>}} */
    static byte[] line(String customId, ChatRequest request) {
        return ("{\"custom_id\":\"" + customId + "\",\"method\":\"POST\",\"url\":\"" + PATH + "\",\"body\":"
                + new String(request.body(), StandardCharsets.UTF_8) + "}").getBytes(StandardCharsets.UTF_8);
    }

    /** Starts reading results and dead letters from the beginning of their topics, on a thread of its own. */
    static Watch watch(String kafka) {
        return new Watch(kafka);
    }

    /** Every result and dead letter ilb has written since the topics were created, as they come. */
    static final class Watch implements AutoCloseable {

        private final KafkaConsumer<String, String> consumer;
        private final List<Outcome> outcomes = new ArrayList<>();
        private final Thread thread;
        private volatile boolean running = true;

        private Watch(String kafka) {
            consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka,
                    ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false), new StringDeserializer(), new StringDeserializer());
            List<TopicPartition> partitions = new ArrayList<>();
            for (String topic : List.of(RESULTS, DEAD_LETTERS)) {
                consumer.partitionsFor(topic, Duration.ofSeconds(15))
                        .forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            thread = new Thread(this::read, "batch-results");
            thread.setDaemon(true);
            thread.start();
        }

        private void read() {
            try {
                while (running) {
                    for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(100))) {
                        Outcome outcome = new Outcome(record.key(), record.timestamp(),
                                record.topic().equals(DEAD_LETTERS));
                        synchronized (this) {
                            outcomes.add(outcome);
                            notifyAll();
                        }
                    }
                }
            } catch (WakeupException e) {
                // closing
            } finally {
                consumer.close(Duration.ofSeconds(2));
            }
        }

        synchronized List<Outcome> outcomes() {
            return List.copyOf(outcomes);
        }

        synchronized long count(Predicate<Outcome> which) {
            return outcomes.stream().filter(which).count();
        }

        /** Waits until {@code count} outcomes match; false if they have not within {@code atMost}. */
        synchronized boolean await(Predicate<Outcome> which, long count, Duration atMost) throws InterruptedException {
            long deadline = System.nanoTime() + atMost.toNanos();
            while (count(which) < count) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(this, Math.min(left, TimeUnit.MILLISECONDS.toNanos(200)));
            }
            return true;
        }

        @Override
        public void close() {
            running = false;
            consumer.wakeup();
            try {
                thread.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
