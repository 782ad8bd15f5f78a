package ilb.batch;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.camel.AsyncProducer;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.ServiceStatus;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.component.kafka.consumer.KafkaManualCommit;
import org.apache.camel.support.DefaultExchange;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The batch consumer's step (routes/batch.yaml): takes the jobs of one poll of {@code ilb.requests}, runs each
 * through the job route ({@code direct:batch-job}) with at most {@link AimdLimit} of them in flight, tries again
 * those that may still succeed, and commits each partition's offset only as far as every job before it has its
 * result or dead-letter record acknowledged by the broker. A crash therefore loses no job; the jobs in flight at
 * the crash are done again (at most the poll's size per consumer).
 * <p>
 * Runs on the Kafka consumer's own thread, which waits here for its jobs (never a Netty I/O thread); the commits are
 * made from it too, as the Kafka consumer requires.
 */
public final class BatchIntake implements Processor {

    private static final Logger LOG = LoggerFactory.getLogger(BatchIntake.class);
    private static final long COMMIT_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
    private static final long MAX_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    private static final long MAX_BACKOFF_MILLIS = 30_000;

    private final CamelContext context;
    private final String jobRoute;
    private final long retryBackoffMillis;
    private final long deferMillis;
    private final AimdLimit limit;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicLong results = new AtomicLong();
    private final AtomicLong deadLetters = new AtomicLong();
    private final AtomicLong retries = new AtomicLong();
    private final AtomicLong deferrals = new AtomicLong();
    private volatile AsyncProducer jobs;
    private volatile java.util.concurrent.ExecutorService dispatcher;
    private volatile boolean producingFails;

    /**
     * @param jobRoute           the endpoint of the job route, e.g. {@code direct:batch-job}
     * @param maxInFlight        most jobs in flight at once, however much capacity is spare
     * @param retryBackoffMillis wait before a failed job's first retry; doubled for each further one
     * @param deferMillis        wait before a job turned away for want of spare capacity is offered again
     */
    public BatchIntake(CamelContext context, String jobRoute, int maxInFlight, long retryBackoffMillis,
            long deferMillis) {
        this.context = context;
        this.jobRoute = jobRoute;
        this.retryBackoffMillis = retryBackoffMillis;
        this.deferMillis = deferMillis;
        this.limit = new AimdLimit(Math.min(4, maxInFlight), maxInFlight, TimeUnit.MILLISECONDS.toNanos(100));
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
        final int partition;
        final OffsetTracker.Entry<Exchange> entry;
        BatchRecord record;
        Exchange attempt;
        long dueNanos;

        Job(int partition, OffsetTracker.Entry<Exchange> entry, BatchRecord record) {
            this.partition = partition;
            this.entry = entry;
            this.record = record;
        }
    }

    /** The jobs of one poll, until each has its outcome on the broker (or ilb stops). */
    private final class Run {
        private final String routeId;
        private final OffsetTracker<Exchange> tracker = new OffsetTracker<>();
        private final ArrayDeque<Job> ready = new ArrayDeque<>();
        private final PriorityQueue<Job> later = new PriorityQueue<>((a, b) -> Long.compare(a.dueNanos, b.dueNanos));
        private final LinkedBlockingQueue<Job> finished = new LinkedBlockingQueue<>();
        private int running;
        private int unfinished;
        private long lastCommitNanos = System.nanoTime();
        private boolean mayCommit = true;

        Run(List<Exchange> records, String routeId) {
            this.routeId = routeId;
            for (Exchange record : records) {
                int partition = record.getMessage().getHeader(KafkaConstants.PARTITION, Integer.class);
                ready.add(new Job(partition, tracker.add(partition, record), toBatchRecord(record)));
            }
            unfinished = records.size();
        }

        void complete() throws Exception {
            while (unfinished > 0) {
                long now = System.nanoTime();
                boolean stopping = stopping();
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
                Job job = finished.poll(wait, TimeUnit.NANOSECONDS);
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
                LOG.info("Batch consumer stopping: {} jobs of its last poll unfinished or behind an unfinished one;"
                        + " they will be done again from the last commit", tracker.unfinished());
            }
        }

        private void dispatch(Job job) throws Exception {
            Exchange attempt = new DefaultExchange(context);
            attempt.getMessage().setBody(job.record);
            job.attempt = attempt;
            running++;
            inFlight.incrementAndGet();
            AsyncProducer route = jobs();
            try {
                dispatcher.execute(() -> route.process(attempt, doneSync -> finished.add(job)));
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // Camel is stopping: the job is not done, and its offset is not committed
                attempt.setException(e);
                finished.add(job);
            }
        }

        private void onFinished(Job job) {
            running--;
            inFlight.decrementAndGet();
            long now = System.nanoTime();
            Exchange attempt = job.attempt;
            BatchOutcome.Kind kind = attempt.getProperty(BatchOutcome.KIND, BatchOutcome.Kind.class);
            if (attempt.getException() != null || kind == null) {
                // its outcome did not reach the broker: do the job again, once the broker is back
                if (!producingFails) {
                    producingFails = true;
                    LOG.warn("A batch job's outcome did not reach Kafka ({}); the job will be done again",
                            attempt.getException() != null ? attempt.getException().getMessage() : "no outcome");
                }
                limit.onBackoff(now);
                retryAt(job, now + TimeUnit.SECONDS.toNanos(1));
                return;
            }
            if (producingFails) {
                producingFails = false;
                LOG.info("Batch job outcomes reach Kafka again");
            }
            long afterMillis = attempt.getProperty(BatchOutcome.RETRY_AFTER_MILLIS, 0L, Long.class);
            switch (kind) {
                case RESULT, DEAD_LETTER -> {
                    (kind == BatchOutcome.Kind.RESULT ? results : deadLetters).incrementAndGet();
                    if (kind == BatchOutcome.Kind.RESULT) {
                        limit.onDone();
                    }
                    tracker.done(job.partition, job.entry);
                    unfinished--;
                }
                case RETRY -> {
                    retries.incrementAndGet();
                    limit.onBackoff(now);
                    job.record = job.record.nextAttempt();
                    long backoff = Math.min(MAX_BACKOFF_MILLIS, retryBackoffMillis << Math.min(20, job.record.attempt() - 2));
                    retryAt(job, now + TimeUnit.MILLISECONDS.toNanos(Math.max(afterMillis, jitter(backoff))));
                }
                case DEFER -> {
                    deferrals.incrementAndGet();
                    limit.onBackoff(now);
                    retryAt(job, now + TimeUnit.MILLISECONDS.toNanos(Math.max(afterMillis, jitter(deferMillis))));
                }
            }
        }

        private void retryAt(Job job, long dueNanos) {
            job.dueNanos = dueNanos;
            later.add(job);
        }

        /** Commits, per partition, up to its first job not done. A rebalance may have taken the partition away. */
        private void commit() {
            lastCommitNanos = System.nanoTime();
            Map<Integer, Exchange> committable = tracker.takeCommittable();
            if (!mayCommit || committable.isEmpty()) {
                return;
            }
            try {
                for (Exchange record : committable.values()) {
                    record.getMessage().getHeader(KafkaConstants.MANUAL_COMMIT, KafkaManualCommit.class).commit();
                }
            } catch (KafkaException e) {
                mayCommit = false;
                LOG.warn("Batch consumer could not commit ({}); its partitions may have moved to another replica,"
                        + " which does their uncommitted jobs again", e.getMessage());
            }
        }

        private boolean stopping() {
            ServiceStatus route = context.getRouteController().getRouteStatus(routeId);
            return context.isStopping() || route == null || route.isStopping() || route.isStopped();
        }
    }

    /** ±25 %, so that jobs turned away together do not all come back together. */
    private static long jitter(long millis) {
        return Math.round(millis * ThreadLocalRandom.current().nextDouble(0.75, 1.25));
    }

    private static BatchRecord toBatchRecord(Exchange record) {
        var message = record.getMessage();
        String source = message.getHeader(KafkaConstants.TOPIC, String.class) + "/"
                + message.getHeader(KafkaConstants.PARTITION, Integer.class) + "@"
                + message.getHeader(KafkaConstants.OFFSET, Long.class);
        byte[] line = message.getBody(byte[].class);
        return new BatchRecord(line == null ? new byte[0] : line, message.getHeader(KafkaConstants.KEY, String.class),
                text(message.getHeader("authorization")), text(message.getHeader("ilb-priority")), source, 1);
    }

    private static String text(Object header) {
        return header instanceof byte[] bytes ? new String(bytes, StandardCharsets.UTF_8)
                : header == null ? null : header.toString();
    }
}
