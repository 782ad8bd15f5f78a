package ilb.batch;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import ilb.inference.ApiError;
import ilb.inference.ExchangeProperties;
import ilb.telemetry.RequestRecord;
import ilb.telemetry.RequestRecords;
import org.apache.camel.AsyncProducer;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.Route;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.component.kafka.consumer.DefaultKafkaManualCommit;
import org.apache.camel.component.kafka.consumer.KafkaManualCommit;
import org.apache.camel.support.DefaultExchange;
import org.apache.camel.support.service.ServiceSupport;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SerializationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The batch consumer's step (routes/batch.yaml): takes the jobs of one poll of the requests topics, runs each
 * through the job route ({@code direct:batch-job}) with at most {@link AimdLimit} of them in flight, tries again
 * those that may still succeed, and commits each partition's offset only as far as every job before it has its
 * result or dead-letter record acknowledged by the broker. A crash therefore loses no job; the jobs in flight at
 * the crash, and those done but not yet committed, are done again (at most the poll's size per consumer).
 * <p>
 * Runs on the Kafka consumer's own thread, which waits here for its jobs (never a Netty I/O thread); the commits are
 * made from it too, as the Kafka consumer requires. A poll whose jobs cannot all be done within {@code maxRunMillis}
 * (no spare capacity for that long) ends early: done ones are committed, and the consumer rejoins its group and
 * polls the rest again, going on where it left them (their attempts, done or not) rather than staying away from its
 * group past {@code maxPollIntervalMs}. Each try of a job has a deadline ({@link JobDeadline}), so that the poll's
 * last jobs end in time too, however slowly their backend answers.
 */
public final class BatchIntake implements Processor {

    private static final Logger LOG = LoggerFactory.getLogger(BatchIntake.class);
    private static final long COMMIT_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
    private static final long MAX_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    private static final long MAX_BACKOFF_MILLIS = 30_000;
    private static final long SEND_RETRY_MILLIS = 1_000;

    private final CamelContext context;
    private final RequestRecords records;
    private final String jobRoute;
    private final int maxAttempts;
    private final long retryBackoffMillis;
    private final long deferMillis;
    private final long maxRunNanos;
    private final JobDeadline deadline;
    private final AimdLimit limit;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicLong results = new AtomicLong();
    private final AtomicLong deadLetters = new AtomicLong();
    private final AtomicLong retries = new AtomicLong();
    private final AtomicLong deferrals = new AtomicLong();
    private final AtomicLong runsCutShort = new AtomicLong();
    private final AtomicLong deadLettersRefused = new AtomicLong();
    /** What polls cut short knew of their jobs, for the next poll of them. */
    private final CarriedOver carriedOver = new CarriedOver();
    private volatile AsyncProducer jobs;
    private volatile ExecutorService dispatcher;
    private volatile boolean producingFails;
    private volatile boolean refusingDeadLetters;

    /**
     * How the intake paces, retries and bounds jobs; {@code ilb.batch.*} properties. {@code maxPollIntervalMillis}
     * and {@code deliveryTimeoutMillis} are the Kafka consumer's and producer's of routes/batch.yaml.
     */
    public record Settings(int maxInFlight, int maxAttempts, long retryBackoffMillis, long deferMillis,
            long maxRunMillis, long jobTimeoutMillis, long maxPollIntervalMillis, long deliveryTimeoutMillis) {
        public Settings {
            if (maxInFlight < 1 || maxAttempts < 1 || maxRunMillis < 1000 || jobTimeoutMillis < 1000) {
                throw new IllegalArgumentException("ilb.batch.maxInFlight and maxAttempts must be at least 1, and"
                        + " maxRunMillis and jobTimeoutMillis at least 1000");
            }
            // a job started at the end of a poll's run must still have time for its backend
            if (maxPollIntervalMillis - deliveryTimeoutMillis - JobDeadline.MARGIN_MILLIS < maxRunMillis + 1000) {
                throw new IllegalArgumentException("ilb.batch.maxPollIntervalMs (" + maxPollIntervalMillis
                        + ") must exceed maxRunMillis (" + maxRunMillis + ") + deliveryTimeoutMs ("
                        + deliveryTimeoutMillis + ") + " + (JobDeadline.MARGIN_MILLIS + 1000) + " ms");
            }
        }
    }

    /** @param jobRoute the endpoint of the job route, e.g. {@code direct:batch-job} */
    /** @param records starts each try's record, for the access log and tracing */
    public BatchIntake(CamelContext context, String jobRoute, Settings settings, RequestRecords records) {
        this.context = context;
        this.records = records;
        this.jobRoute = jobRoute;
        this.maxAttempts = settings.maxAttempts();
        this.retryBackoffMillis = settings.retryBackoffMillis();
        this.deferMillis = settings.deferMillis();
        this.maxRunNanos = TimeUnit.MILLISECONDS.toNanos(settings.maxRunMillis());
        this.deadline = JobDeadline.of(settings.jobTimeoutMillis(), settings.maxPollIntervalMillis(),
                settings.deliveryTimeoutMillis());
        this.limit = new AimdLimit(Math.min(4, settings.maxInFlight()), settings.maxInFlight(),
                TimeUnit.MILLISECONDS.toNanos(100));
    }

    /** Jobs running now, across consumers. */
    public int inFlight() {
        return inFlight.get();
    }

    /** How many jobs may run at once now. */
    public int limit() {
        return limit.current();
    }

    public long results() {
        return results.get();
    }

    public long deadLetters() {
        return deadLetters.get();
    }

    /** Tries of failed jobs made again. */
    public long retries() {
        return retries.get();
    }

    /** Jobs turned away for want of spare capacity, to be offered again. */
    public long deferrals() {
        return deferrals.get();
    }

    /** Polls whose jobs did not all find spare capacity within maxRunMillis, and were polled again. */
    public long runsCutShort() {
        return runsCutShort.get();
    }

    /** Dead letters Kafka refused (e.g. over the topic's max.message.bytes): their jobs are held, not committed. */
    public long deadLettersRefused() {
        return deadLettersRefused.get();
    }

    @Override
    public void process(Exchange poll) throws Exception {
        @SuppressWarnings("unchecked")
        List<Exchange> records = poll.getMessage().getBody(List.class);
        if (records != null && !records.isEmpty()) {
            new Run(records, poll.getFromRouteId()).complete();
        }
    }

    private AsyncProducer jobs() throws Exception {
        if (jobs == null) {
            synchronized (this) {
                if (jobs == null) {
                    // Camel runs the routes a thread starts in that thread's queue of work, which would wait until
                    // the consumer's thread is done waiting here: jobs are started from threads of their own
                    dispatcher = context.getExecutorServiceManager().newFixedThreadPool(this, "batch-dispatch", 2);
                    AsyncProducer producer = context.getEndpoint(jobRoute).createAsyncProducer();
                    producer.start();
                    jobs = producer;
                }
            }
        }
        return jobs;
    }

    /** A job of the poll, and its current try. */
    private static final class Job {
        final String partition;
        final long offset;
        final OffsetTracker.Entry<Exchange> entry;
        BatchRecord record;
        Exchange attempt;
        long dueNanos;
        int sendFailures;

        Job(String partition, long offset, OffsetTracker.Entry<Exchange> entry, BatchRecord record) {
            this.partition = partition;
            this.offset = offset;
            this.entry = entry;
            this.record = record;
        }
    }

    /** The jobs of one poll, until each has its outcome on the broker (or ilb stops, or the run's time is up). */
    private final class Run {
        private final String routeId;
        private final long startNanos = System.nanoTime();
        private final OffsetTracker<Exchange> tracker = new OffsetTracker<>();
        private final ArrayDeque<Job> ready = new ArrayDeque<>();
        private final PriorityQueue<Job> later = new PriorityQueue<>((a, b) -> Long.compare(a.dueNanos, b.dueNanos));
        private final LinkedBlockingQueue<Job> finished = new LinkedBlockingQueue<>();
        private final List<Job> all = new java.util.ArrayList<>();
        private final Map<String, Job> firstOfPartition = new java.util.LinkedHashMap<>();
        private final java.util.Set<String> committedPartitions = new java.util.HashSet<>();
        private int running;
        private int unfinished;
        private long lastCommitNanos = System.nanoTime();
        private boolean mayCommit = true;

        Run(List<Exchange> records, String routeId) {
            this.routeId = routeId;
            unfinished = records.size();
            java.util.Set<String> started = new java.util.HashSet<>();
            for (Exchange record : records) {
                var message = record.getMessage();
                String topic = message.getHeader(KafkaConstants.TOPIC, String.class);
                String partition = topic + "/" + message.getHeader(KafkaConstants.PARTITION, Integer.class);
                long offset = message.getHeader(KafkaConstants.OFFSET, Long.class);
                if (started.add(partition)) {
                    carriedOver.pollStarts(partition, offset);
                }
                Job job = new Job(partition, offset, tracker.add(partition, record),
                        toBatchRecord(record, topic, partition + "@" + offset));
                all.add(job);
                firstOfPartition.putIfAbsent(partition, job);
                CarriedOver.Carried before = carriedOver.take(partition, offset, job.record);
                if (before != null && before.done()) {
                    tracker.done(partition, job.entry);
                    unfinished--;
                } else {
                    if (before != null) {
                        job.record = before.record();
                    }
                    ready.add(job);
                }
            }
        }

        void complete() throws Exception {
            boolean timeUp = false;
            boolean suspended = false;
            while (unfinished > 0) {
                long now = System.nanoTime();
                timeUp |= now - startNanos > maxRunNanos;
                suspended |= consumerState(ServiceSupport::isSuspendingOrSuspended);
                boolean stopping = timeUp || suspended || context.isStopping()
                        || consumerState(ServiceSupport::isStoppingOrStopped);
                if (stopping && running == 0) {
                    break;
                }
                while (!later.isEmpty() && later.peek().dueNanos - now <= 0) {
                    ready.addFirst(later.poll());
                }
                while (!stopping && !ready.isEmpty() && inFlight.get() < limit.current()) {
                    dispatch(ready.poll());
                }
                long wait = later.isEmpty() ? MAX_WAIT_NANOS
                        : Math.max(0, Math.min(MAX_WAIT_NANOS, later.peek().dueNanos - now));
                Job job;
                try {
                    job = finished.poll(wait, TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    LOG.info("Batch consumer interrupted with {} jobs running; its uncommitted jobs will be done again",
                            running);
                    Thread.currentThread().interrupt();
                    throw e;
                }
                while (job != null) {
                    onFinished(job);
                    job = finished.poll();
                }
                if (System.nanoTime() - lastCommitNanos >= COMMIT_INTERVAL_NANOS) {
                    commit();
                }
            }
            commit();
            if (unfinished > 0) {
                carryOver();
            }
            if (unfinished > 0 && timeUp) {
                runsCutShort.incrementAndGet();
                // the consumer polls again from the last commit: the jobs not done are offered again
                throw new IllegalStateException(unfinished + " batch jobs were not done within "
                        + TimeUnit.NANOSECONDS.toSeconds(maxRunNanos) + " s (no spare capacity, or Kafka refusing"
                        + " their outcome); they are polled again");
            }
            if (unfinished > 0 && suspended && !context.isStopping()) {
                // the rest of the poll is dropped, and polled again from the last commit when the route resumes
                commitStarts();
                throw new IllegalStateException("batch consumer suspended with " + unfinished
                        + " jobs not done; they are polled again when it resumes");
            }
            if (unfinished > 0) {
                LOG.info("Batch consumer stopping: {} jobs of its last poll are not committed; they will be done again",
                        tracker.unfinished());
            }
        }

        /** Remembers the jobs not committed, for when they are polled again. */
        private void carryOver() {
            for (Job job : all) {
                if (!job.entry.committable || !mayCommit) {
                    carriedOver.remember(job.partition, job.offset, job.record, job.entry.done);
                }
            }
        }

        private void dispatch(Job job) throws Exception {
            AsyncProducer route = jobs();
            Exchange attempt = new DefaultExchange(context);
            attempt.getMessage().setBody(job.record);
            // a span per try, its parent the producer's trace context, if the record has one
            if (records.enabled()) {
                var kafka = job.entry.record.getMessage();
                attempt.setProperty(ExchangeProperties.RECORD, records.start(RequestRecord.Entry.BATCH,
                        job.record.key(), job.record.topic() + " process", text(kafka.getHeader("traceparent")),
                        text(kafka.getHeader("tracestate"))));
            }
            attempt.setProperty(ExchangeProperties.DEADLINE_NANOS, deadline.at(System.nanoTime(), startNanos));
            job.attempt = attempt;
            running++;
            inFlight.incrementAndGet();
            try {
                dispatcher.execute(() -> route.process(attempt, doneSync -> {
                    inFlight.decrementAndGet();
                    finished.add(job);
                }));
            } catch (RejectedExecutionException e) {
                // Camel is stopping: the job is not done, and its offset is not committed
                inFlight.decrementAndGet();
                attempt.setException(e);
                finished.add(job);
            }
        }

        private void onFinished(Job job) {
            running--;
            long now = System.nanoTime();
            Exchange attempt = job.attempt;
            RequestRecord record = RequestRecords.of(attempt);
            if (record != null) {
                if (record.outcome() == null && attempt.getException() != null) {
                    // the try failed before it had an outcome (Camel stopping, a fault of ilb's): the job is tried
                    // again, as after a 503
                    RequestRecords.answered(attempt, ApiError.unavailable("not_tried",
                            String.valueOf(attempt.getException().getMessage()), 0));
                }
                record.end();
            }
            BatchAdmission.Admitted admitted = attempt.getProperty(BatchAdmission.ADMITTED,
                    BatchAdmission.Admitted.class);
            if (admitted != null) {
                job.record = job.record.withAdmitted(admitted);
            }
            BatchOutcome.Kind kind = attempt.getProperty(BatchOutcome.KIND, BatchOutcome.Kind.class);
            Exception failure = attempt.getException();
            if (failure == null && kind == null) {
                failure = new IllegalStateException("the job route ended without an outcome");
            }
            if (failure != null && kind != null) {
                onSendFailed(job, kind, attempt, failure, now);
                return;
            }
            if (producingFails) {
                producingFails = false;
                LOG.info("Batch job outcomes reach Kafka again");
            }
            if (failure != null) {
                // failed before its outcome was known (e.g. the pool's throttle refused it): a try like any other
                kind = BatchOutcome.Kind.RETRY;
                if (job.record.giveUp() != null) {
                    // even its dead letter failed before it reached Kafka: wait, as for a failed send
                    retryAt(job, now + sendBackoffNanos(job));
                    return;
                }
                if (job.record.attempt() >= maxAttempts) {
                    job.record = job.record.givingUp(ApiError.internal("gave up after " + job.record.attempt()
                            + " attempts; the last failed: " + failure));
                    retryAt(job, now);
                    return;
                }
            }
            long afterMillis = attempt.getProperty(BatchOutcome.RETRY_AFTER_MILLIS, 0L, Long.class);
            switch (kind) {
                case RESULT, DEAD_LETTER -> {
                    (kind == BatchOutcome.Kind.RESULT ? results : deadLetters).incrementAndGet();
                    if (kind == BatchOutcome.Kind.RESULT) {
                        limit.onDone();
                    } else if (refusingDeadLetters) {
                        refusingDeadLetters = false;
                        LOG.info("Batch dead letters reach Kafka again");
                    }
                    tracker.done(job.partition, job.entry);
                    unfinished--;
                }
                case RETRY -> {
                    retries.incrementAndGet();
                    limit.onBackoff(now);
                    job.record = job.record.nextAttempt();
                    long backoff = Math.min(MAX_BACKOFF_MILLIS,
                            retryBackoffMillis << Math.min(20, job.record.attempt() - 2));
                    retryAt(job, now + TimeUnit.MILLISECONDS.toNanos(Math.max(afterMillis, jitter(backoff))));
                }
                case DEFER -> {
                    deferrals.incrementAndGet();
                    limit.onBackoff(now);
                    retryAt(job, now + TimeUnit.MILLISECONDS.toNanos(Math.max(afterMillis, jitter(deferMillis))));
                }
            }
        }

        /**
         * Its outcome did not reach Kafka. A result Kafka can never take (too large, not serializable) is
         * dead-lettered instead. Anything else holds the job, and its partition's commit before it, until Kafka
         * takes its outcome, waiting longer each time: a dead letter is written again as it was (Kafka may refuse it
         * until an operator raises the topic's max.message.bytes), a result is done again (the broker away, not
         * authorized, the producer broken).
         */
        private void onSendFailed(Job job, BatchOutcome.Kind kind, Exchange attempt, Exception failure, long now) {
            boolean refused = refusedForGood(failure);
            if (kind == BatchOutcome.Kind.RESULT && refused) {
                job.record = job.record.givingUp(new ApiError(500, "server_error", "result_not_written",
                        "Kafka refused the job's result: " + failure.getMessage(), 0));
                retryAt(job, now);
                return;
            }
            if (kind == BatchOutcome.Kind.DEAD_LETTER) {
                job.record = job.record.givingUp(attempt.getProperty(BatchOutcome.DEAD_LETTER, ApiError.class));
            }
            if (kind == BatchOutcome.Kind.DEAD_LETTER && refused) {
                deadLettersRefused.incrementAndGet();
                if (!refusingDeadLetters) {
                    refusingDeadLetters = true;
                    LOG.warn("Kafka refuses the dead letter of batch job {} ({}); the job is held, its partition not"
                            + " committed past it, and its dead letter written again until the topic takes it",
                            job.record.source(), failure.getMessage());
                }
            } else {
                if (!producingFails) {
                    producingFails = true;
                    LOG.warn("A batch job's outcome did not reach Kafka ({}); jobs are done again until it does",
                            failure.getMessage());
                }
                limit.onBackoff(now);
            }
            retryAt(job, now + sendBackoffNanos(job));
        }

        private long sendBackoffNanos(Job job) {
            job.sendFailures++;
            return TimeUnit.MILLISECONDS.toNanos(Math.min(MAX_BACKOFF_MILLIS,
                    SEND_RETRY_MILLIS << Math.min(20, job.sendFailures - 1)));
        }

        private void retryAt(Job job, long dueNanos) {
            job.dueNanos = dueNanos;
            later.add(job);
        }

        /** Commits, per partition, up to its first job not done. A rebalance may have taken the partition away. */
        private void commit() {
            lastCommitNanos = System.nanoTime();
            Map<String, Exchange> committable = tracker.takeCommittable();
            if (!mayCommit || committable.isEmpty()) {
                return;
            }
            try {
                for (Map.Entry<String, Exchange> partition : committable.entrySet()) {
                    partition.getValue().getMessage().getHeader(KafkaConstants.MANUAL_COMMIT, KafkaManualCommit.class)
                            .commit();
                    committedPartitions.add(partition.getKey());
                }
            } catch (KafkaException e) {
                mayCommit = false;
                LOG.warn("Batch consumer could not commit ({}); its partitions may have moved to another replica,"
                        + " which does their uncommitted jobs again", e.getMessage());
            }
        }

        /**
         * Commits where the poll started each partition it has committed nothing of. A resumed consumer goes on
         * from its committed offsets, and Camel seeks back only the partitions that have one: without it, the jobs
         * this poll leaves undone would be skipped.
         */
        private void commitStarts() {
            try {
                for (Job first : firstOfPartition.values()) {
                    if (mayCommit && !committedPartitions.contains(first.partition)
                            && first.entry.record.getMessage().getHeader(KafkaConstants.MANUAL_COMMIT)
                                    instanceof DefaultKafkaManualCommit manual) {
                        // on the consumer's own thread, as the commits above
                        manual.getConsumer().commitSync(Map.of(manual.getPartition(),
                                new OffsetAndMetadata(first.offset)), java.time.Duration.ofMillis(
                                        manual.getCommitTimeout()));
                    }
                }
            } catch (KafkaException e) {
                LOG.warn("Batch consumer could not commit where its poll started ({}); the jobs it leaves are done"
                        + " again if it resumes elsewhere", e.getMessage());
            }
        }

        /**
         * Whether the Kafka consumer is in a state: stopping (ilb stops) or suspending (the route is stopped or its
         * file reloaded: Camel suspends the consumer first, then waits for the poll in hand).
         */
        private boolean consumerState(java.util.function.Predicate<ServiceSupport> state) {
            Route route = context.getRoute(routeId);
            return route == null || route.getConsumer() instanceof ServiceSupport consumer && state.test(consumer);
        }
    }

    /** Whether Kafka refuses this very record, whatever the broker's state: then trying again cannot help. */
    private static boolean refusedForGood(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof RecordTooLargeException || cause instanceof InvalidRecordException
                    || cause instanceof SerializationException) {
                return true;
            }
        }
        return false;
    }

    /** ±25 %, so that jobs turned away together do not all come back together. */
    private static long jitter(long millis) {
        return Math.round(millis * ThreadLocalRandom.current().nextDouble(0.75, 1.25));
    }

    /** @param source topic, partition and offset */
    private static BatchRecord toBatchRecord(Exchange record, String topic, String source) {
        var message = record.getMessage();
        byte[] line = message.getBody(byte[].class);
        return BatchRecord.of(line == null ? new byte[0] : line, message.getHeader(KafkaConstants.KEY, String.class),
                text(message.getHeader("authorization")), text(message.getHeader("ilb-priority")), topic, source);
    }

    private static String text(Object header) {
        return header instanceof byte[] bytes ? new String(bytes, StandardCharsets.UTF_8)
                : header == null ? null : header.toString();
    }
}
