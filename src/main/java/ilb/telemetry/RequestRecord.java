package ilb.telemetry;

import java.util.concurrent.atomic.AtomicBoolean;

import ilb.backend.Backend;
import ilb.inference.ApiError;
import ilb.inference.BackendStream;
import ilb.inference.HttpReply;
import ilb.inference.InferenceMessage;
import ilb.inference.InferenceRequest;

/**
 * What one request came to, gathered along its way for the access log and its trace alike: made at the entry (HTTP,
 * gRPC, a batch job), filled by admission, routing and the balancer, and {@linkplain #end() ended} once, when its
 * response has been written to its end, which tells the {@link Listener}s. Never a key or a prompt; what a client
 * names freely (model, version, request id) is kept {@linkplain #bounded bounded}.
 * <p>
 * Only made while the access log or tracing is on: with both off, there is none and nothing is gathered. Filled
 * on the threads that serve the request one after the other (Netty hand-offs order the writes); ended once.
 */
public final class RequestRecord {

    /** The longest a value a client chose is kept: a model name, a version, a request id. */
    static final int MAX_CLIENT_VALUE = 128;

    /** Told once when a request is over. */
    public interface Listener {
        void ended(RequestRecord record);
    }

    /** Where the request came in. */
    public enum Entry {
        HTTP, GRPC, BATCH;

        public String label() {
            return name().toLowerCase();
        }
    }

    private final Entry entry;
    private final Listener listener;
    private final long arrivedNanos = System.nanoTime();
    private final long arrivedEpochMillis = System.currentTimeMillis();
    private final String requestId;
    /** The request's trace while it is sampled; null otherwise. */
    private final RequestTrace trace;
    private final AtomicBoolean ended = new AtomicBoolean();
    private String tenant;
    private String model;
    private String version;
    private String priority;
    private boolean stream;
    private int status;
    private String outcome;
    private String backend;
    private int attempts;
    private long queueWaitNanos = -1;
    private long ttftNanos = -1;
    private long durationNanos;
    /** The tokens of a streamed answer, counted as its chunks go by; null for a whole one. */
    private TokenUsage streamedTokens;
    private long promptTokens = -1;
    private long completionTokens = -1;

    /**
     * @param requestId the client's request id ({@code x-request-id}), or null: ilb's own then
     * @param trace     the request's trace, or null when it is not traced
     */
    RequestRecord(Entry entry, String requestId, RequestTrace trace, Listener listener) {
        this.entry = entry;
        this.requestId = requestId == null || requestId.isBlank() ? RequestIds.next() : bounded(requestId);
        this.trace = trace;
        this.listener = listener;
    }

    /** The caller's tenant, once known. */
    public void tenant(String name) {
        tenant = name;
    }

    /** The request as routed: its model, version asked for, class and whether it streams. */
    public void request(InferenceRequest request) {
        model = bounded(request.model());
        if (request.version() != null) {
            version = bounded(request.version());
        }
        priority = request.priority().label();
        stream = request.stream();
    }

    /** The version whose route served it. */
    public void version(String served) {
        if (served != null && !served.isEmpty()) {
            version = bounded(served);
        }
    }

    /** It waited (once more) in its pool's queue from {@code fromNanos} to {@code toNanos} ({@link System#nanoTime()}). */
    public void queued(long fromNanos, long toNanos) {
        // a retry may queue again: the waits add up
        queueWaitNanos = Math.max(0, queueWaitNanos) + toNanos - fromNanos;
        if (trace != null) {
            trace.queued(fromNanos, toNanos);
        }
    }

    /**
     * An attempt at {@code backend} starts: its trace, whose {@link AttemptTrace#sent} the request goes to the backend
     * as, or null when the request is not traced.
     *
     * @param number 1 for the first attempt, 2 for the next (a retry or a hedge)...
     */
    public AttemptTrace attempt(Backend backend, int number, boolean hedge) {
        return trace == null ? null : trace.attempt(backend, number, hedge);
    }

    /**
     * What the client is answered: its outcome, status and tokens, the backend that served and after how many
     * attempts (null and 0 when none did). A stream's first token is here now; its tokens are counted as it goes.
     */
    public synchronized void answered(InferenceMessage answer, String servedBy, int tries) {
        outcome = RequestMeters.outcome(answer);
        status = statusOf(answer);
        backend = servedBy;
        attempts = tries;
        if (answer instanceof BackendStream backendStream) {
            ttftNanos = System.nanoTime() - arrivedNanos;
            TokenUsage usage = new TokenUsage();
            streamedTokens = usage;
            backendStream.tap(usage::chunk);
            backendStream.whenDone(normally -> {
                if (!normally) {
                    interrupted();
                }
            });
        } else if (answer instanceof HttpReply reply && reply.status() / 100 == 2) {
            TokenUsage usage = new TokenUsage();
            usage.reply(reply.body());
            tokens(usage);
        }
    }

    private synchronized void interrupted() {
        if (!"client_gone".equals(outcome)) {
            outcome = "stream_interrupted";
        }
    }

    /** The status actually written to the client, which may differ from the answer's (an error while writing). */
    public synchronized void status(int written) {
        status = written;
    }

    /**
     * The client went away before its response ended (its connection closed, mid-stream perhaps): that is the
     * request's outcome, whatever was answered; the status stays the one written, if any (499 if none was).
     */
    public synchronized void clientGone() {
        outcome = "client_gone";
        if (status == 0) {
            status = 499;
        }
    }

    /**
     * The response has ended (a stream's last event written), or the client went away before: tells the listeners,
     * once. Synchronized with the answer, which may come on a backend's thread while the client's goes.
     */
    public synchronized void end() {
        if (!ended.compareAndSet(false, true)) {
            return;
        }
        durationNanos = System.nanoTime() - arrivedNanos;
        if (outcome == null) {
            // nothing was recorded as answered: the status written says what it came to, else the client left first
            outcome = status == 0 ? "client_gone" : RequestMeters.outcome(status);
            if (status == 0) {
                status = 499;
            }
        }
        if (streamedTokens != null) {
            tokens(streamedTokens);
        }
        if (trace != null) {
            trace.ended(this);
        }
        listener.ended(this);
    }

    private void tokens(TokenUsage usage) {
        promptTokens = usage.promptTokens();
        completionTokens = usage.completionTokens();
    }

    private static int statusOf(InferenceMessage answer) {
        if (answer instanceof HttpReply reply) {
            return reply.status();
        }
        if (answer instanceof BackendStream backendStream) {
            return backendStream.status();
        }
        return answer instanceof ApiError error ? error.status() : 502;
    }

    /** A value a client chose, cut to {@link #MAX_CLIENT_VALUE} characters, control characters replaced. */
    static String bounded(String value) {
        String cut = value.length() > MAX_CLIENT_VALUE ? value.substring(0, MAX_CLIENT_VALUE) : value;
        StringBuilder clean = null;
        for (int i = 0; i < cut.length(); i++) {
            if (Character.isISOControl(cut.charAt(i))) {
                if (clean == null) {
                    clean = new StringBuilder(cut);
                }
                clean.setCharAt(i, '?');
            }
        }
        return clean == null ? cut : clean.toString();
    }

    public Entry entry() {
        return entry;
    }

    public String requestId() {
        return requestId;
    }

    public long arrivedNanos() {
        return arrivedNanos;
    }

    public long arrivedEpochMillis() {
        return arrivedEpochMillis;
    }

    public String tenant() {
        return tenant;
    }

    public String model() {
        return model;
    }

    public String version() {
        return version;
    }

    public String priority() {
        return priority;
    }

    public boolean stream() {
        return stream;
    }

    public int status() {
        return status;
    }

    public String outcome() {
        return outcome;
    }

    public String backend() {
        return backend;
    }

    public int attempts() {
        return attempts;
    }

    /** The time it waited in its pool's queue; -1 if it never queued. */
    public long queueWaitNanos() {
        return queueWaitNanos;
    }

    /** The time from its arrival to a stream's first token; -1 for a whole answer. */
    public long ttftNanos() {
        return ttftNanos;
    }

    public long durationNanos() {
        return durationNanos;
    }

    /** -1 when no backend said. */
    public long promptTokens() {
        return promptTokens;
    }

    /** -1 when no backend said. */
    public long completionTokens() {
        return completionTokens;
    }
}
