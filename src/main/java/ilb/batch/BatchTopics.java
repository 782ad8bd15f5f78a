package ilb.batch;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * The topics of batch inference: jobs in ({@code ilb.requests}, or several, comma-separated), results out
 * ({@code ilb.results}, and any tenant's own), and jobs that cannot be done ({@code ilb.requests.dlq}).
 * {@link #ensure} creates those missing; run as a program it does so for {@code kafka/start}:
 * {@code BatchTopics <bootstrap servers> [partitions]}.
 */
public record BatchTopics(String requests, String results, String dlq) {

    static final String REQUESTS = "ilb.requests";
    static final String RESULTS = "ilb.results";
    static final String DLQ = "ilb.requests.dlq";
    public static final BatchTopics DEFAULT = new BatchTopics(REQUESTS, RESULTS, DLQ);

    /**
     * Creates the topics that do not exist yet: requests and results with {@code partitions} partitions (the most
     * ilb replicas that can share the work), the dead-letter topic with one.
     *
     * @return the topics it created
     */
    public List<String> ensure(String bootstrapServers, int partitions, String... moreResults)
            throws ExecutionException, TimeoutException, InterruptedException {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000, AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000))) {
            Set<String> existing = admin.listTopics().names().get(15, TimeUnit.SECONDS);
            List<NewTopic> missing = new ArrayList<>();
            List<String> wide = new ArrayList<>(List.of(requests.split(",")));
            wide.add(results);
            wide.addAll(List.of(moreResults));
            for (String name : wide) {
                // the cluster's own replication factor
                if (!existing.contains(name.trim()) && missing.stream().noneMatch(t -> t.name().equals(name.trim()))) {
                    missing.add(new NewTopic(name.trim(), Optional.of(partitions), Optional.empty()));
                }
            }
            if (!existing.contains(dlq)) {
                missing.add(new NewTopic(dlq, Optional.of(1), Optional.empty()));
            }
            if (!missing.isEmpty()) {
                admin.createTopics(missing).all().get(15, TimeUnit.SECONDS);
                awaitLeaders(admin, missing.stream().map(NewTopic::name).toList());
            }
            return missing.stream().map(NewTopic::name).toList();
        }
    }

    /** Until every partition of new topics has its leader: a write before that is refused (NOT_LEADER). */
    private static void awaitLeaders(Admin admin, List<String> topics) throws ExecutionException,
            TimeoutException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (!haveLeaders(admin, topics)) {
            if (System.nanoTime() > deadline) {
                throw new TimeoutException("the new topics " + topics + " have no leaders after 15 s");
            }
            // a new topic's leaders come within milliseconds; there is no event to wait on from here
            Thread.sleep(50);
        }
    }

    private static boolean haveLeaders(Admin admin, List<String> topics) throws ExecutionException,
            TimeoutException, InterruptedException {
        try {
            return admin.describeTopics(topics).allTopicNames().get(15, TimeUnit.SECONDS).values().stream()
                    .allMatch(topic -> topic.partitions().stream().allMatch(p -> p.leader() != null));
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                // the broker that answered has not heard of the new topics yet
                return false;
            }
            throw e;
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: BatchTopics <bootstrap servers> [partitions]");
            System.exit(2);
        }
        List<String> created = DEFAULT.ensure(args[0], args.length > 1 ? Integer.parseInt(args[1]) : 6);
        System.out.println(created.isEmpty() ? "topics were there already" : "created " + String.join(", ", created));
    }
}
