package ilb.batch;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import ilb.backend.Durations;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code ilb batch}: submits a JSONL file of OpenAI Batch API input lines as jobs, and collects their results into a
 * JSONL file:
 * <pre>
 * batch submit jobs.jsonl                  one record per line, key = custom_id, header authorization from ILB_API_KEY
 * batch collect jobs.jsonl results.jsonl   waits until every custom_id of jobs.jsonl has a result or a dead letter
 * </pre>
 * {@code collect} writes the first result of each job to the results file and its dead-letter record, if it has
 * one, to {@code <results>.errors.jsonl}, shows progress every second, and counts results that came more than once
 * (a job done again after an ilb replica stopped). It reads only what came after the file was submitted (the time
 * {@code submit} notes in {@code <jobs>.submitted}), so an earlier batch's jobs of the same ids do not count.
 */
@Command(name = "batch", description = "Submits batch jobs to Kafka and collects their results.")
public final class BatchCommand {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Where the jobs go and their results come from; the same options for submit and collect. */
    static final class Kafka {
        @Option(names = "--bootstrap-server", paramLabel = "<host:port>", defaultValue = "127.0.0.1:9092",
                description = "a Kafka broker (default: ${DEFAULT-VALUE})")
        String bootstrap;
        @Option(names = "--requests-topic", paramLabel = "<topic>", defaultValue = BatchTopics.REQUESTS,
                description = "the jobs topic (default: ${DEFAULT-VALUE})")
        String requests;
        @Option(names = "--results-topic", paramLabel = "<topic>", defaultValue = BatchTopics.RESULTS,
                description = "the results topic (default: ${DEFAULT-VALUE})")
        String results;
        @Option(names = "--dlq-topic", paramLabel = "<topic>", defaultValue = BatchTopics.DLQ,
                description = "the dead-letter topic (default: ${DEFAULT-VALUE})")
        String dlq;

        BatchTopics topics() {
            return new BatchTopics(requests, results, dlq);
        }
    }

    /** Seconds, as collect always took them, or a duration as route files write them: 90s, 30m, 1h. */
    static final class Timeout implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String text) {
            try {
                return text.chars().allMatch(Character::isDigit) ? Duration.ofSeconds(Long.parseLong(text))
                        : Duration.ofMillis(Durations.millis(text));
            } catch (RuntimeException e) {
                throw new TypeConversionException("'" + text + "' is not a duration (90s, 30m, 1h, or seconds)");
            }
        }
    }

    @Spec
    private CommandSpec spec;
    private final String apiKey;

    /** @param apiKey the tenant's key the jobs are sent with (ILB_API_KEY), or null */
    public BatchCommand(String apiKey) {
        this.apiKey = apiKey;
    }

    @Command(name = "submit", description = "Sends each line of <jobs.jsonl> as a job, keyed by its custom_id, with"
            + " the API key of ILB_API_KEY.")
    int submit(@Parameters(paramLabel = "<jobs.jsonl>") Path jobs, @Mixin Kafka kafka) throws Exception {
        send(jobs, kafka.bootstrap, kafka.topics());
        return 0;
    }

    @Command(name = "collect", description = "Waits until every job of <jobs.jsonl> has a result or a dead letter;"
            + " writes the results to <results.jsonl> and the dead letters to <results.jsonl>.errors.jsonl. Exit"
            + " status 1 if some are missing at the timeout.")
    int collect(@Parameters(paramLabel = "<jobs.jsonl>") Path jobs,
            @Parameters(paramLabel = "<results.jsonl>") Path results, @Mixin Kafka kafka,
            @Option(names = "--timeout", paramLabel = "<duration>", defaultValue = "1h",
                    converter = Timeout.class,
                    description = "how long to wait: 90s, 30m, 1h, or seconds (default: ${DEFAULT-VALUE})")
            Duration timeout) throws Exception {
        return await(jobs, results, kafka.bootstrap, kafka.topics(), timeout) ? 0 : 1;
    }

    private PrintWriter out() {
        return spec.commandLine().getOut();
    }

    private void send(Path jobs, String bootstrap, BatchTopics topics) throws Exception {
        List<String> lines = lines(jobs);
        long submittedAt = System.currentTimeMillis();
        List<java.util.concurrent.Future<?>> sends = new ArrayList<>(lines.size());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true), new StringSerializer(), new StringSerializer())) {
            int sent = 0;
            for (String line : lines) {
                ProducerRecord<String, String> record = new ProducerRecord<>(topics.requests(), customId(line), line);
                if (apiKey != null && !apiKey.isBlank()) {
                    record.headers().add("authorization", ("Bearer " + apiKey).getBytes(StandardCharsets.UTF_8));
                }
                sends.add(producer.send(record));
            }
            for (java.util.concurrent.Future<?> send : sends) {
                // acknowledged by the broker, or this throws: then nothing claims the file was submitted
                send.get();
                if (++sent % 10_000 == 0) {
                    out().println("submitted " + sent + " of " + lines.size());
                }
            }
        }
        Files.writeString(submittedFile(jobs), String.valueOf(submittedAt));
        out().println("submitted " + lines.size() + " jobs to " + topics.requests() + " on " + bootstrap);
    }

    private boolean await(Path jobs, Path resultsFile, String bootstrap, BatchTopics topics, Duration timeout)
            throws Exception {
        Set<String> wanted = lines(jobs).stream().map(BatchCommand::customId).filter(id -> id != null)
                .collect(Collectors.toCollection(LinkedHashSet::new));
        Path errorsFile = resultsFile.resolveSibling(resultsFile.getFileName() + ".errors.jsonl");
        long deadline = System.nanoTime() + timeout.toNanos();
        Set<String> done = new LinkedHashSet<>();
        int results = 0;
        int deadLetters = 0;
        int duplicates = 0;
        Path submitted = submittedFile(jobs);
        long since = Files.exists(submitted) ? Long.parseLong(Files.readString(submitted).trim()) : 0;
        try (KafkaConsumer<String, String> consumer = reader(bootstrap, topics, since);
                BufferedWriter resultsOut = Files.newBufferedWriter(resultsFile);
                BufferedWriter errorsOut = Files.newBufferedWriter(errorsFile)) {
            long nextReport = 0;
            while (done.size() < wanted.size() && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    String id = record.key();
                    if (id == null || !wanted.contains(id)) {
                        continue;
                    }
                    if (!done.add(id)) {
                        duplicates++;
                        continue;
                    }
                    boolean dead = record.topic().equals(topics.dlq());
                    (dead ? errorsOut : resultsOut).write(record.value());
                    (dead ? errorsOut : resultsOut).newLine();
                    if (dead) {
                        deadLetters++;
                    } else {
                        results++;
                    }
                }
                if (System.nanoTime() > nextReport) {
                    out().printf("collected %d of %d (%d results, %d dead letters, %d duplicates)%n", done.size(),
                            wanted.size(), results, deadLetters, duplicates);
                    nextReport = System.nanoTime() + 1_000_000_000L;
                }
            }
        }
        out().printf("collected %d of %d: %d results in %s, %d dead letters in %s, %d duplicates skipped%n",
                done.size(), wanted.size(), results, resultsFile, deadLetters, errorsFile, duplicates);
        return done.size() == wanted.size();
    }

    /**
     * Reads the results and dead-letter topics from {@code sinceMillis} (a minute earlier, for clocks that differ),
     * or from their beginning if 0; in no consumer group (it commits nothing).
     */
    private static KafkaConsumer<String, String> reader(String bootstrap, BatchTopics topics, long sinceMillis) {
        KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false),
                new StringDeserializer(), new StringDeserializer());
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : List.of(topics.results(), topics.dlq())) {
            consumer.partitionsFor(topic).forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        if (sinceMillis > 0) {
            Map<TopicPartition, Long> times = new HashMap<>();
            partitions.forEach(p -> times.put(p, sinceMillis - 60_000));
            consumer.offsetsForTimes(times).forEach((partition, found) -> {
                if (found != null) {
                    consumer.seek(partition, found.offset());
                } else {
                    consumer.seekToEnd(List.of(partition));
                }
            });
        }
        return consumer;
    }

    private static Path submittedFile(Path jobs) {
        return jobs.resolveSibling(jobs.getFileName() + ".submitted");
    }

    private static List<String> lines(Path file) throws IOException {
        return Files.readAllLines(file).stream().filter(line -> !line.isBlank()).toList();
    }

    /** The line's custom_id, or null if it has none it can read (ilb then dead-letters it, keyed by nothing). */
    private static String customId(String line) {
        try {
            JsonNode id = JSON.readTree(line).path("custom_id");
            return id.isTextual() ? id.asText() : null;
        } catch (IOException e) {
            return null;
        }
    }
}
