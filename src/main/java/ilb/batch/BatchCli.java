package ilb.batch;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
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

/**
 * Submits a JSONL file of OpenAI Batch API input lines as jobs, and collects their results into a JSONL file:
 * <pre>
 * batch submit jobs.jsonl                  one record per line, key = custom_id, header authorization from ILB_API_KEY
 * batch collect jobs.jsonl results.jsonl   waits until every custom_id of jobs.jsonl has a result or a dead letter
 * </pre>
 * {@code collect} writes the first result of each job to the results file and its dead-letter record, if it has
 * one, to {@code <results>.errors.jsonl}, shows progress every second, and counts results that came more than once
 * (a job done again after an ilb replica stopped). It reads only what came after the file was submitted (the time
 * {@code submit} notes in {@code <jobs>.submitted}), so an earlier batch's jobs of the same ids do not count. Options: {@code --bootstrap-server} (127.0.0.1:9092),
 * {@code --timeout} (seconds, 3600), {@code --requests-topic}, {@code --results-topic}, {@code --dlq-topic}.
 */
public final class BatchCli {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final PrintStream out;
    private final Map<String, String> options;
    private final BatchTopics topics;
    private final String bootstrap;

    private BatchCli(PrintStream out, Map<String, String> options) {
        this.out = out;
        this.options = options;
        this.bootstrap = options.getOrDefault("bootstrap-server", "127.0.0.1:9092");
        this.topics = new BatchTopics(options.getOrDefault("requests-topic", BatchTopics.DEFAULT.requests()),
                options.getOrDefault("results-topic", BatchTopics.DEFAULT.results()),
                options.getOrDefault("dlq-topic", BatchTopics.DEFAULT.dlq()));
    }

    public static void main(String[] args) throws Exception {
        System.exit(run(args, System.getenv("ILB_API_KEY"), System.out));
    }

    /** @return the exit status: 0 done, 1 a collect that timed out, 2 bad usage */
    static int run(String[] args, String apiKey, PrintStream out) throws Exception {
        List<String> positional = new ArrayList<>();
        Map<String, String> options = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].startsWith("--") && i + 1 < args.length) {
                options.put(args[i].substring(2), args[++i]);
            } else {
                positional.add(args[i]);
            }
        }
        BatchCli cli = new BatchCli(out, options);
        if (positional.size() == 2 && positional.get(0).equals("submit")) {
            cli.submit(Path.of(positional.get(1)), apiKey);
            return 0;
        }
        if (positional.size() == 3 && positional.get(0).equals("collect")) {
            return cli.collect(Path.of(positional.get(1)), Path.of(positional.get(2))) ? 0 : 1;
        }
        out.println("usage: batch submit <jobs.jsonl>   (the API key from ILB_API_KEY)");
        out.println("       batch collect <jobs.jsonl> <results.jsonl>");
        out.println("options: --bootstrap-server host:port, --timeout seconds, --requests-topic, --results-topic,"
                + " --dlq-topic");
        return 2;
    }

    private void submit(Path jobs, String apiKey) throws Exception {
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
                    out.println("submitted " + sent + " of " + lines.size());
                }
            }
        }
        Files.writeString(submittedFile(jobs), String.valueOf(submittedAt));
        out.println("submitted " + lines.size() + " jobs to " + topics.requests() + " on " + bootstrap);
    }

    private boolean collect(Path jobs, Path resultsFile) throws Exception {
        Set<String> wanted = lines(jobs).stream().map(BatchCli::customId).filter(id -> id != null)
                .collect(Collectors.toCollection(LinkedHashSet::new));
        Path errorsFile = resultsFile.resolveSibling(resultsFile.getFileName() + ".errors.jsonl");
        long deadline = System.nanoTime() + Duration.ofSeconds(Long.parseLong(options.getOrDefault("timeout",
                "3600"))).toNanos();
        Set<String> done = new LinkedHashSet<>();
        int results = 0;
        int deadLetters = 0;
        int duplicates = 0;
        Path submitted = submittedFile(jobs);
        long since = Files.exists(submitted) ? Long.parseLong(Files.readString(submitted).trim()) : 0;
        try (KafkaConsumer<String, String> consumer = reader(since);
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
                    out.printf("collected %d of %d (%d results, %d dead letters, %d duplicates)%n", done.size(),
                            wanted.size(), results, deadLetters, duplicates);
                    nextReport = System.nanoTime() + 1_000_000_000L;
                }
            }
        }
        out.printf("collected %d of %d: %d results in %s, %d dead letters in %s, %d duplicates skipped%n",
                done.size(), wanted.size(), results, resultsFile, deadLetters, errorsFile, duplicates);
        return done.size() == wanted.size();
    }

    /**
     * Reads the results and dead-letter topics from {@code sinceMillis} (a minute earlier, for clocks that differ),
     * or from their beginning if 0; in no consumer group (it commits nothing).
     */
    private KafkaConsumer<String, String> reader(long sinceMillis) {
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
