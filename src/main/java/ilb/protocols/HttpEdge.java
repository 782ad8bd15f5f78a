package ilb.protocols;

import java.util.ArrayDeque;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import ilb.admission.ApiKeys;
import ilb.admission.ByteBudget;
import ilb.admission.Tenant;
import ilb.inference.Api;
import ilb.inference.ApiError;
import ilb.inference.Protocol;
import ilb.telemetry.RefusalMeters;
import ilb.telemetry.RequestRecord;
import ilb.telemetry.RequestRecords;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import org.apache.camel.component.netty.ChannelHandlerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the inference API refuses before it spends memory on a request: a connection over
 * {@code ilb.http.maxConnections}; a request without a known API key (401), for an unknown path or model, the wrong
 * method, a model not the tenant's, a malformed path (400, 403, 404, 405) or a body over the size limit (413), all
 * answered from the request's head, before its body is read; a body that does not fit the budget of bytes all
 * requests may hold ({@code ilb.http.maxBufferedBytes}, 503: a body counts as it comes, and once complete counts
 * twice, for the copy ilb reads it into, until its response is written); a request that does not arrive whole within
 * {@code ilb.http.requestReadTimeout} (408), and a connection idle for {@code ilb.http.idleTimeout}. Refused
 * requests are answered in the API's JSON shape and their connection closed; their bodies are never gathered. Each
 * refusal (a connection over the limit too) is counted once in {@code ilb_requests_total} ({@link RefusalMeters}).
 * <p>
 * Sits in camel-netty-http's server pipeline as an encoder ({@code encoders: "#httpEdge"}, routes/api.yaml): there
 * it sees the decoded request heads and body chunks before the aggregator gathers them, and the responses before they
 * are encoded. Camel asks it for a new {@code Connection} guard per connection (a factory must be a handler itself).
 * Every decision is on the connection's event loop and takes no lock.
 * <p>
 * When ilb shuts down, {@link #drain()} stops it taking requests: a request arriving after it is answered 503
 * {@code shutting_down} (its client tries another replica), a connection is closed once it owes no response, and
 * the requests in flight, streams included, are answered to their end ({@link #awaitDrained}).
 * <p>
 * While the access log or tracing is on, it starts each request's {@link RequestRecord} from its head (refused ones
 * too), leaves it on the connection ({@link #RECORD}) for the route, and ends it once the response's last bytes are
 * written, or the client has gone.
 */
public final class HttpEdge extends ChannelInboundHandlerAdapter implements ChannelHandlerFactory, Drainable {

    private static final Logger LOG = LoggerFactory.getLogger(HttpEdge.class);
    /**
     * A refused request's body up to this size is read and dropped before the connection is closed, so that the client
     * reads the answer, not a reset.
     */
    private static final long DRAINED_BYTES = 64 * 1024;
    /** The record of the request being read on a connection, for {@link HttpApi} to put on its exchange. */
    public static final AttributeKey<RequestRecord> RECORD = AttributeKey.valueOf("ilb.record");

    /** {@code ilb.http.*} limits. */
    public record Limits(long maxRequestBytes, long maxBufferedBytes, long requestReadTimeoutMillis,
            long idleTimeoutMillis, int maxConnections) {
        public Limits {
            if (maxRequestBytes < 1 || maxBufferedBytes < maxRequestBytes || requestReadTimeoutMillis < 1
                    || idleTimeoutMillis < 1 || maxConnections < 1) {
                throw new IllegalArgumentException("ilb.http limits: maxRequestBytes, the timeouts and maxConnections"
                        + " must be positive, maxBufferedBytes at least maxRequestBytes");
            }
        }
    }

    private final Limits limits;
    private final ApiKeys apiKeys;
    private final HttpApi httpApi;
    private final ByteBudget budget;
    private final RequestRecords records;
    private final RefusalMeters refusals;
    private final AtomicInteger connections = new AtomicInteger();
    /** Requests read whose responses are not written to their end yet, on every connection. */
    private final AtomicInteger owed = new AtomicInteger();
    private final ChannelGroup open = new DefaultChannelGroup("ilb-http", GlobalEventExecutor.INSTANCE);
    private volatile boolean draining;
    /** Counted down once draining with nothing owed. */
    private final CountDownLatch answered = new CountDownLatch(1);

    /** @param refusals counts every request refused here, the connections over the limit and the 408s too */
    public HttpEdge(Limits limits, ApiKeys apiKeys, HttpApi httpApi, RequestRecords records,
            RefusalMeters refusals) {
        this.limits = limits;
        this.records = records;
        this.refusals = refusals;
        this.apiKeys = apiKeys;
        this.httpApi = httpApi;
        this.budget = new ByteBudget(limits.maxBufferedBytes());
    }

    @Override
    public ChannelHandler newChannelHandler() {
        return new Connection();
    }

    /** Request bytes held now, gathered or in flight. */
    public long bufferedBytes() {
        return budget.inUse();
    }

    /** Client connections open now. */
    public int connections() {
        return connections.get();
    }

    /** Requests being served now (read whole, response not yet written to its end). */
    public int inFlight() {
        return owed.get();
    }

    /**
     * Takes no more requests: each later one is answered 503 {@code shutting_down} and its connection closed;
     * connections that owe no response are closed now, the others once they do not. Does not wait.
     */
    @Override
    public void drain() {
        draining = true;
        open.forEach(channel -> channel.eventLoop().execute(() -> {
            Connection connection = channel.pipeline().get(Connection.class);
            if (connection != null && connection.timeouts.nothingOwed()) {
                channel.close();
            }
        }));
        settle();
    }

    /**
     * Waits until, after {@link #drain()}, every request in flight has been answered to its end; false if some are
     * still owed after the timeout.
     */
    @Override
    public boolean awaitDrained(long timeout, TimeUnit unit) throws InterruptedException {
        return answered.await(timeout, unit);
    }

    private void settle() {
        if (draining && owed.get() == 0) {
            answered.countDown();
        }
    }

    /** The guard of one client connection. */
    private final class Connection extends ChannelDuplexHandler {
        private ConnectionTimeouts timeouts;
        private ChannelHandlerContext ctx;
        private ScheduledFuture<?> timer;
        private long timerDue;
        private boolean counted;
        /** Bytes this connection holds in the budget. */
        private long held;
        /** Requests of this connection in {@link #owed}. */
        private int owedHere;
        /** Body bytes of the request being read: a chunked body says its size only as it comes. */
        private long received;
        /** A request was refused: drop what follows of it, then close. */
        private boolean refused;
        private long drainLeft;
        private Api api = Api.OPENAI;
        /** The tenant of the request being read, once its key is checked; else null. */
        private Tenant tenant;
        /** The records of the requests read whose responses have not ended, oldest first; null while none is kept. */
        private ArrayDeque<RequestRecord> recorded;
        /** The record of the request whose head was read last, or null. */
        private RequestRecord record;

        @Override
        public void handlerAdded(ChannelHandlerContext context) {
            ctx = context;
            timeouts = new ConnectionTimeouts(TimeUnit.MILLISECONDS.toNanos(limits.requestReadTimeoutMillis()),
                    TimeUnit.MILLISECONDS.toNanos(limits.idleTimeoutMillis()), System.nanoTime());
            // the first byte of a request starts its read timeout, before the decoder has a whole head
            context.pipeline().addBefore("decoder", "ilb-request-bytes", new ChannelInboundHandlerAdapter() {
                @Override
                public void channelRead(ChannelHandlerContext raw, Object msg) {
                    timeouts.requestBytes(System.nanoTime());
                    arm();
                    raw.fireChannelRead(msg);
                }
            });
        }

        @Override
        public void channelActive(ChannelHandlerContext context) {
            counted = true;
            if (connections.incrementAndGet() > limits.maxConnections()) {
                LOG.debug("Refused a connection: {} are open", limits.maxConnections());
                refuse(ApiError.unavailable("too_many_connections", "ilb has " + limits.maxConnections()
                        + " connections open; try again later", 1), false);
                return;
            }
            open.add(context.channel());
            arm();
            context.fireChannelActive();
        }

        @Override
        public void channelInactive(ChannelHandlerContext context) {
            if (counted) {
                connections.decrementAndGet();
                counted = false;
            }
            giveBack();
            if (timer != null) {
                timer.cancel(false);
            }
            // a client gone before its answer: nothing more is owed to it
            owed.addAndGet(-owedHere);
            owedHere = 0;
            settle();
            if (recorded != null) {
                // their clients went away before their responses ended
                for (RequestRecord gone : recorded) {
                    gone.clientGone();
                    gone.end();
                }
                recorded.clear();
            }
            context.fireChannelInactive();
        }

        @Override
        public void channelRead(ChannelHandlerContext context, Object msg) {
            if (refused) {
                drain(msg);
                return;
            }
            if (msg instanceof HttpRequest request) {
                timeouts.requestBytes(System.nanoTime());
                record(request);
                tenant = null;
                ApiError refusal = draining ? ApiError.unavailable("shutting_down", "ilb is shutting down; try"
                        + " again", 1) : admit(request);
                if (refusal != null) {
                    LOG.debug("Refused a request from its head: {} {}", refusal.status(), refusal.code());
                    long length = HttpUtil.getContentLength(request, -1L);
                    // a client that waits for 100 Continue sends no body after a refusal: nothing to read then
                    drainLeft = length >= 0 && length <= DRAINED_BYTES && !HttpUtil.is100ContinueExpected(request)
                            ? length : -1;
                    refuse(refusal, drainLeft > 0);
                    drain(msg);
                    return;
                }
                received = 0;
            }
            if (msg instanceof HttpContent content) {
                int bytes = content.content().readableBytes();
                received += bytes;
                boolean last = content instanceof LastHttpContent;
                // a whole body is copied once more, into the bytes ilb routes by: held as long as the buffers are
                long reserved = last ? bytes + received : bytes;
                ApiError refusal = received > limits.maxRequestBytes() ? ApiError.tooLarge(limits.maxRequestBytes())
                        : !budget.tryReserve(reserved) ? ApiError.unavailable("overloaded", "ilb holds as many request"
                                + " bytes as it may (" + budget.limit() + "); try again later", 1)
                        : null;
                if (refusal != null) {
                    LOG.debug("Refused a request body: {} {}", refusal.status(), refusal.code());
                    // what may still be on its way is read and dropped, up to a little, so the client sees the answer
                    drainLeft = DRAINED_BYTES;
                    refuse(refusal, true);
                    drain(msg);
                    return;
                }
                held += reserved;
                if (last) {
                    timeouts.requestRead();
                    owedHere++;
                    owed.incrementAndGet();
                    arm();
                }
            }
            context.fireChannelRead(msg);
        }

        /** Starts the request's record, if records are kept. */
        private void record(HttpRequest request) {
            if (!records.enabled()) {
                // nothing read, nothing made: the hot path as it is without records
                return;
            }
            record = records.start(RequestRecord.Entry.HTTP, request.headers().get("x-request-id"),
                    method(request) + " " + route(request.uri()), request.headers().get("traceparent"),
                    request.headers().get("tracestate"));
            if (record != null) {
                if (recorded == null) {
                    recorded = new ArrayDeque<>(2);
                }
                recorded.add(record);
            }
            ctx.channel().attr(RECORD).set(record);
        }

        /** The refusal of a request from its head alone, or null. */
        private ApiError admit(HttpRequest request) {
            api = Api.forPath(request.uri());
            if (request.decoderResult().isFailure()) {
                return malformed(request.decoderResult().cause());
            }
            String expect = request.headers().get(HttpHeaderNames.EXPECT);
            if (expect != null && !HttpHeaderValues.CONTINUE.contentEqualsIgnoreCase(expect.trim())) {
                // else the aggregator would answer 417 itself and drop the body this guard has counted
                return new ApiError(417, "invalid_request_error", "expectation_failed",
                        "only 'Expect: 100-continue' is supported", 0);
            }
            if (HttpUtil.getContentLength(request, 0L) > limits.maxRequestBytes()) {
                return ApiError.tooLarge(limits.maxRequestBytes());
            }
            String rawPath = new QueryStringDecoder(request.uri()).rawPath();
            tenant = Tenant.ANYONE;
            if (!apiKeys.isOpen(rawPath)) {
                Object authenticated = apiKeys.authenticate(request.headers().get(HttpHeaderNames.AUTHORIZATION));
                if (authenticated instanceof ApiError error) {
                    tenant = null;
                    return error;
                }
                tenant = (Tenant) authenticated;
                if (record != null) {
                    record.tenant(tenant.name());
                }
            }
            return httpApi.checkHead(tenant, request.method().name(), request.uri());
        }

        @Override
        public void write(ChannelHandlerContext context, Object msg, ChannelPromise promise) {
            ChannelPromise written = promise;
            if (recorded != null && msg instanceof HttpResponse head && !isInterim(head) && !recorded.isEmpty()) {
                recorded.peek().status(head.status().code());
            }
            if (msg instanceof LastHttpContent && !(msg instanceof HttpResponse head && isInterim(head))) {
                if (recorded != null && !recorded.isEmpty()) {
                    recorded.poll().end();
                }
                timeouts.responseWritten(System.nanoTime());
                if (owedHere > 0) {
                    owedHere--;
                    // answered once its last bytes are out, not merely queued: a drain may then close everything
                    written = promise.unvoid();
                    written.addListener(done -> {
                        owed.decrementAndGet();
                        settle();
                    });
                }
                if (timeouts.nothingOwed()) {
                    giveBack();
                    if (draining) {
                        // the connection's last answer: closed once written, so its client reconnects elsewhere
                        written = written.unvoid();
                        written.addListener(ChannelFutureListener.CLOSE);
                    }
                }
                arm();
            }
            context.write(msg, written);
        }

        /** Answers the refusal and closes, once the rest of a small refused body has been read. */
        private void refuse(ApiError error, boolean drainFirst) {
            refused = true;
            refusals.refused(Protocol.HTTP, tenant, null, error);
            // the part of a body gathered so far is dropped now, not reported as a premature close
            if (ctx.pipeline().get("aggregator") != null) {
                ctx.pipeline().remove("aggregator");
            }
            FullHttpResponse response = InferenceHttpBinding.error(api, error);
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            var written = ctx.writeAndFlush(response);
            if (recorded != null && !recorded.isEmpty()) {
                // written from here, past this handler's own write: its record ends here
                RequestRecord refusedRecord = recorded.pollLast();
                refusedRecord.answered(error, null, 0);
                refusedRecord.end();
            }
            if (!drainFirst) {
                written.addListener(ChannelFutureListener.CLOSE);
            }
        }

        private void drain(Object msg) {
            if (msg instanceof HttpContent content && drainLeft > 0) {
                drainLeft -= content.content().readableBytes();
                if (msg instanceof LastHttpContent || drainLeft <= 0) {
                    drainLeft = 0;
                    ctx.close();
                }
            }
            ReferenceCountUtil.release(msg);
        }

        /** Makes sure the timer fires by the current deadline. */
        private void arm() {
            long deadline = timeouts.deadline();
            if (deadline == ConnectionTimeouts.NEVER || timer != null && timerDue - deadline <= 0) {
                return;
            }
            if (timer != null) {
                timer.cancel(false);
            }
            timerDue = deadline;
            timer = ctx.executor().schedule(this::onTimer, Math.max(0, deadline - System.nanoTime()),
                    TimeUnit.NANOSECONDS);
        }

        private void onTimer() {
            timer = null;
            if (!ctx.channel().isActive()) {
                return;
            }
            if (refused) {
                // answered already; the rest of its body did not come
                ctx.close();
                return;
            }
            switch (timeouts.expired(System.nanoTime())) {
                case READ -> {
                    LOG.debug("Closed a connection whose request did not arrive within {} ms",
                            limits.requestReadTimeoutMillis());
                    drainLeft = -1;
                    refuse(new ApiError(408, "invalid_request_error", "request_timeout", "the request did not"
                            + " arrive whole within " + limits.requestReadTimeoutMillis() + " ms", 0), false);
                }
                case IDLE -> ctx.close();
                case NONE -> arm();
            }
        }

        private void giveBack() {
            budget.release(held);
            held = 0;
        }
    }

    /**
     * The span name's route of a request: its path when it is one of the OpenAI API's, KServe's with the model left
     * out, else nothing (a path a client makes up is no span name).
     */
    /** The request's method for a span's name: a standard one, else {@code _OTHER} (a client may send any token). */
    private static String method(HttpRequest request) {
        return switch (request.method().name()) {
            case "GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH" -> request.method().name();
            default -> "_OTHER";
        };
    }

    static String route(String uri) {
        String path = new QueryStringDecoder(uri).rawPath();
        if (path.startsWith("/v1/")) {
            return switch (path) {
                case "/v1/chat/completions", "/v1/completions", "/v1/embeddings", "/v1/models" -> path;
                default -> path.startsWith("/v1/models/") ? "/v1/models/{model}" : "/v1";
            };
        }
        if (path.startsWith("/v2/models/")) {
            return path.endsWith("/infer") ? "/v2/models/{model}/infer" : "/v2/models/{model}";
        }
        return path.equals("/v2/health/live") || path.equals("/v2/health/ready") ? path : "/";
    }

    private static boolean isInterim(HttpResponse head) {
        return head.status().code() < 200;
    }

    /** A request head the decoder could not read: 414 for a long request line, 431 for long headers, else 400. */
    private static ApiError malformed(Throwable cause) {
        if (cause instanceof TooLongHttpLineException) {
            return new ApiError(414, "invalid_request_error", "uri_too_long", "the request line is too long", 0);
        }
        if (cause instanceof TooLongHttpHeaderException || cause instanceof TooLongFrameException) {
            return new ApiError(431, "invalid_request_error", "headers_too_large", "the request headers are too large",
                    0);
        }
        return ApiError.badRequest("malformed HTTP request: " + ApiError.firstLine(String.valueOf(cause.getMessage())));
    }
}
