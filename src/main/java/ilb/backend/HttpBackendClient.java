package ilb.backend;

import java.net.ConnectException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import ilb.inference.BackendFailure;
import ilb.inference.EventLoops;
import ilb.inference.HttpReply;
import ilb.inference.BackendStream;
import ilb.inference.InferenceMessage;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.pool.AbstractChannelPoolHandler;
import io.netty.channel.pool.AbstractChannelPoolMap;
import io.netty.channel.pool.SimpleChannelPool;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.EncoderException;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GenericFutureListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An asynchronous HTTP/1.1 client for model servers, on Netty: pooled keep-alive connections per backend, no
 * thread ever waits. A whole response is gathered and handed over at its end; a Server-Sent Events response is
 * handed over at its first chunk and then streams through {@link BackendStream} as it arrives. To an {@code https://}
 * backend, each connection opens TLS first ({@link BackendTls}); a failed handshake is the backend's connect failure.
 */
public final class HttpBackendClient implements AutoCloseable {

    private static final AttributeKey<Call> CALL = AttributeKey.valueOf("ilb.backend.call");
    /** A TLS connection's handshake, which its first request waits for: its handler leaves as the connection closes. */
    private static final AttributeKey<Future<Channel>> HANDSHAKE = AttributeKey.valueOf("ilb.backend.handshake");
    /** When a pooled connection was last given back; absent until its first request. */
    private static final AttributeKey<Long> IDLE_SINCE = AttributeKey.valueOf("ilb.backend.idleSince");
    /**
     * Pooled connections idle longer than this are not used again: model servers close idle keep-alive connections
     * (vLLM's uvicorn after 5 s), and a request written just as that happens is lost.
     */
    private static final long MAX_IDLE_NANOS = TimeUnit.SECONDS.toNanos(4);
    private static final Logger LOG = LoggerFactory.getLogger(HttpBackendClient.class);
    /** Response headers worth passing on to the client; hop-by-hop and framing headers are not. */
    private static final String[] PASSED_HEADERS = {"content-type", "retry-after", "cache-control", "x-request-id",
        "inference-header-content-length"};

    /** Connections are pooled per backend (and its TLS, if any) and per event loop. */
    private record Address(String host, int port, long connectTimeoutMillis, BackendTls tls, EventLoop loop) {
    }

    private final EventLoopGroup group;
    private final int maxResponseBytes;
    private final ResponseHandler handler = new ResponseHandler();
    private final AbstractChannelPoolMap<Address, SimpleChannelPool> pools;

    /**
     * @param group the event loops to run on; when they are also those of the inbound HTTP server, a request is
     *              served on one thread from client to backend and back, with no hand-off
     */
    public HttpBackendClient(EventLoopGroup group, int maxResponseBytes) {
        this.group = group;
        this.maxResponseBytes = maxResponseBytes;
        Bootstrap bootstrap = new Bootstrap().channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true);
        this.pools = new AbstractChannelPoolMap<>() {
            @Override
            protected SimpleChannelPool newPool(Address address) {
                Bootstrap target = bootstrap.clone(address.loop()).remoteAddress(address.host(), address.port())
                        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) address.connectTimeoutMillis());
                return new SimpleChannelPool(target, new AbstractChannelPoolHandler() {
                    @Override
                    public void channelCreated(Channel ch) {
                        if (address.tls() != null) {
                            // its handshake starts as the connection opens, and must end within the connect timeout
                            SslHandler tls = address.tls().newHandler(ch.alloc(), address.port(),
                                    address.connectTimeoutMillis());
                            ch.attr(HANDSHAKE).set(tls.handshakeFuture());
                            ch.pipeline().addLast(tls);
                        }
                        ch.pipeline().addLast(new HttpClientCodec(), handler);
                    }
                }, HttpBackendClient::fresh, true, true);
            }
        };
    }

    /**
     * Sends one request to the backend. {@code done} gets exactly one {@link HttpReply}, {@link BackendStream}
     * or {@link BackendFailure}, on a Netty thread, or at once on this one if the request cannot be sent as written
     * ({@link BackendFailure.Kind#REQUEST}). If {@code clientGone} completes before the response has come, the
     * backend connection is closed (a model server then stops generating) and the call fails as
     * {@link BackendFailure.Kind#CLIENT_GONE}. A call out of time fails as {@link BackendFailure.Kind#TIMEOUT}.
     */
    public void send(BackendSettings backend, String method, String path, Map<String, String> headers, byte[] body,
            TimeLimits limits, Future<?> clientGone, Consumer<InferenceMessage> done) {
        Call call = new Call(backend, method, path, headers, body, limits, clientGone, done);
        if (clientGone != null) {
            clientGone.addListener(call);
        }
        call.start();
    }

    /** Whether a pooled connection may serve another request: open, and not idle for long. */
    private static Future<Boolean> fresh(Channel ch) {
        Long idleSince = ch.attr(IDLE_SINCE).get();
        return ch.eventLoop().newSucceededFuture(ch.isActive()
                && (idleSince == null || System.nanoTime() - idleSince < MAX_IDLE_NANOS));
    }

    /** Where health checks and other periodic work of the client's backends run. */
    public ScheduledExecutorService scheduler() {
        return group;
    }

    @Override
    public void close() {
        pools.close();
    }

    @ChannelHandler.Sharable
    private static final class ResponseHandler extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            Call call = ctx.channel().attr(CALL).get();
            if (call == null) {
                // nothing was asked on this connection: the server is confused, drop it
                ReferenceCountUtil.release(msg);
                ctx.close();
            } else {
                call.onMessage(msg);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            Call call = ctx.channel().attr(CALL).getAndSet(null);
            if (call != null) {
                call.onClosed();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            Call call = ctx.channel().attr(CALL).get();
            if (call != null) {
                // a server refusing ilb's client certificate says so only after TLS 1.3's handshake, mid-request
                call.failedTls(cause);
            }
            ctx.close();
        }
    }

    /** One request on one pooled connection; after the request is written, it runs on the connection's event loop. */
    private final class Call implements BackendStream.Source, GenericFutureListener<Future<Object>> {
        private final BackendSettings backend;
        private final String method;
        private final String path;
        private final Map<String, String> requestHeaders;
        private final byte[] requestBody;
        private final TimeLimits limits;
        private final long sentNanos = System.nanoTime();
        private final Future<?> clientGone;
        private final Consumer<InferenceMessage> done;
        private SimpleChannelPool pool;
        private volatile Channel channel;
        private ScheduledFuture<?> timer;
        private long lastActivity;
        private boolean completed;
        private boolean finished;
        /** Whether the connection had served requests before this one. */
        private boolean reused;
        private boolean resent;
        private boolean answered;
        private boolean interim;
        private boolean paused;
        private int status;
        private Map<String, String> headers;
        private boolean keepAlive;
        private boolean streaming;
        private CompositeByteBuf body;
        private BackendStream stream;

        Call(BackendSettings backend, String method, String path, Map<String, String> headers, byte[] body,
                TimeLimits limits, Future<?> clientGone, Consumer<InferenceMessage> done) {
            this.backend = backend;
            this.method = method;
            this.path = path;
            this.requestHeaders = headers;
            this.requestBody = body;
            this.limits = limits;
            this.clientGone = clientGone;
            this.done = done;
        }

        private FullHttpRequest request() {
            FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf(method),
                    backend.basePath() + path, Unpooled.wrappedBuffer(requestBody));
            requestHeaders.forEach(request.headers()::set);
            request.headers().set(HttpHeaderNames.HOST, backend.host() + ":" + backend.port())
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, requestBody.length);
            if (requestBody.length > 0 && !request.headers().contains(HttpHeaderNames.CONTENT_TYPE)) {
                request.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
            }
            if (backend.apiKey() != null && !backend.apiKey().isEmpty()) {
                request.headers().set(HttpHeaderNames.AUTHORIZATION, "Bearer " + backend.apiKey());
            }
            return request;
        }

        void start() {
            FullHttpRequest request;
            try {
                // before taking a connection: a request that cannot be written never takes or breaks one
                request = request();
            } catch (RuntimeException e) {
                complete(new BackendFailure(BackendFailure.Kind.REQUEST, String.valueOf(e.getMessage())));
                return;
            }
            // a connection of the calling thread's event loop, if it is one of ours
            pool = pools.get(new Address(backend.host(), backend.port(), backend.connectTimeoutMillis(), backend.tls(),
                    EventLoops.current(group)));
            pool.acquire().addListener((Future<Channel> acquired) -> {
                if (!acquired.isSuccess()) {
                    request.release();
                    Throwable cause = acquired.cause();
                    complete(new BackendFailure(BackendFailure.Kind.CONNECT, cause instanceof ConnectException
                            ? "connection refused" : String.valueOf(cause.getMessage())));
                    return;
                }
                Channel ch = acquired.getNow();
                Future<Channel> tlsHandshake = ch.attr(HANDSHAKE).get();
                if (tlsHandshake == null) {
                    ch.eventLoop().execute(() -> begin(ch, request));
                    return;
                }
                // a new connection is used once its handshake is over (a pooled one's is); run on its event loop
                tlsHandshake.addListener(handshake -> {
                    if (handshake.isSuccess()) {
                        begin(ch, request);
                    } else {
                        request.release();
                        ch.close();
                        pool.release(ch);
                        complete(backend.tls().handshakeFailed(backend, handshake.cause()));
                    }
                });
            });
        }

        /** If the connection failed for TLS, ends the call as the backend's connect failure, saying why; whether so. */
        boolean failedTls(Throwable cause) {
            // a reused connection shook hands long ago: a TLS error on it is the server closing it (its close_notify
            // as the request went out, "SSLEngine closed already"), which lost() sends once more like a plain close
            BackendFailure failure = backend.tls() == null || completed || reused ? null
                    : backend.tls().tlsFailure(backend, cause);
            if (failure != null) {
                abandon(failure);
            }
            return failure != null;
        }

        private void begin(Channel ch, FullHttpRequest request) {
            channel = ch;
            finished = false;
            if (clientGone != null && clientGone.isDone()) {
                request.release();
                complete(new BackendFailure(BackendFailure.Kind.CLIENT_GONE, "the client went away"));
                finish(true);
                return;
            }
            reused = ch.attr(IDLE_SINCE).get() != null;
            ch.attr(CALL).set(this);
            lastActivity = System.nanoTime();
            timer = ch.eventLoop().schedule(this::onTimer, limits.leftNanos(lastActivity, lastActivity, false),
                    TimeUnit.NANOSECONDS);
            ch.writeAndFlush(request).addListener(written -> {
                // only if this connection still carries the call: a close may have handled it already
                if (written.isSuccess() || channel != ch || finished) {
                    return;
                }
                if (written.cause() instanceof EncoderException refused) {
                    // the request is at fault, not the connection
                    abandon(new BackendFailure(BackendFailure.Kind.REQUEST, String.valueOf(refused.getMessage())));
                } else if (!failedTls(written.cause())) {
                    lost("could not send the request: " + written.cause().getMessage());
                }
            });
        }

        /**
         * The connection broke before any of the response. On a reused connection that is most likely the server
         * closing it as idle just as the request went out: send it once more on another connection.
         */
        private void lost(String reason) {
            if (reused && !resent && !answered) {
                resent = true;
                finish(false);
                start();
            } else {
                abandon(new BackendFailure(BackendFailure.Kind.RESET, reason));
            }
        }

        void onMessage(Object msg) {
            try {
                lastActivity = System.nanoTime();
                if (msg instanceof HttpResponse head && isInterim(head)) {
                    // 100 Continue, 103 Early Hints: the real response follows
                    interim = true;
                    return;
                }
                if (interim) {
                    interim = !(msg instanceof LastHttpContent);
                    return;
                }
                answered = true;
                if (msg instanceof HttpResponse head) {
                    if (head.decoderResult().isFailure()) {
                        abandon(new BackendFailure(BackendFailure.Kind.PROTOCOL, "malformed response: "
                                + head.decoderResult().cause().getMessage()));
                        return;
                    }
                    status = head.status().code();
                    headers = passedHeaders(head);
                    keepAlive = HttpUtil.isKeepAlive(head);
                    streaming = status == 200 && headers.getOrDefault("content-type", "").startsWith("text/event-stream");
                    if (!streaming && HttpUtil.getContentLength(head, -1L) > maxResponseBytes) {
                        // said in advance: none of it is read
                        abandon(tooLarge());
                        return;
                    }
                    if (!streaming) {
                        body = channel.alloc().compositeBuffer(Integer.MAX_VALUE);
                    }
                }
                if (msg instanceof HttpContent content && !finished) {
                    onContent(content);
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        private void onContent(HttpContent content) {
            ByteBuf data = content.content();
            if (streaming) {
                if (data.isReadable()) {
                    if (stream == null) {
                        stream = new BackendStream(status, headers, channel.eventLoop(), this);
                        complete(stream);
                    }
                    stream.push(data.retain());
                }
            } else if (body.readableBytes() + data.readableBytes() > maxResponseBytes) {
                abandon(tooLarge());
                return;
            } else if (data.isReadable()) {
                body.addComponent(true, data.retain());
            }
            if (content instanceof LastHttpContent) {
                if (stream != null) {
                    stream.end();
                } else if (streaming) {
                    complete(new HttpReply(status, headers, new byte[0]));
                } else {
                    complete(new HttpReply(status, headers, ByteBufUtil.getBytes(body)));
                }
                finish(keepAlive);
            }
        }

        void onClosed() {
            if (!completed) {
                lost("connection closed before the response");
            } else if (stream != null) {
                stream.fail("backend connection lost mid-stream");
                finish(false);
            }
        }

        private void onTimer() {
            if (finished) {
                return;
            }
            long now = System.nanoTime();
            // a client that reads slowly pauses the backend: that silence is not the backend's
            long left = limits.leftNanos(now, paused ? now : lastActivity, streaming);
            if (left > 0) {
                timer = channel.eventLoop().schedule(this::onTimer, left, TimeUnit.NANOSECONDS);
            } else if (!completed) {
                abandon(limits.outOfTime(now, sentNanos, streaming));
            } else if (stream != null) {
                stream.fail("backend silent for " + TimeUnit.NANOSECONDS.toMillis(limits.timeoutNanos())
                        + " ms mid-stream");
                finish(false);
            }
        }

        private BackendFailure tooLarge() {
            return new BackendFailure(BackendFailure.Kind.RESPONSE_TOO_LARGE, "the backend's response is larger than"
                    + " ilb takes (" + maxResponseBytes + " bytes, camel.component.backend.maxResponseBytes)");
        }

        /** Ends the call with a failure and drops the connection, which is in an unknown state. */
        private void abandon(BackendFailure failure) {
            complete(failure);
            finish(false);
        }

        /** The client went away: stop the backend call if it has no response yet (a stream stops on its own). */
        @Override
        public void operationComplete(Future<Object> gone) {
            Channel ch = channel;
            if (ch != null) {
                ch.eventLoop().execute(() -> {
                    if (channel == ch && !completed) {
                        complete(new BackendFailure(BackendFailure.Kind.CLIENT_GONE, "the client went away"));
                        finish(false);
                    }
                });
            }
            // without a connection yet, begin() finds out
        }

        private void complete(InferenceMessage message) {
            if (!completed) {
                completed = true;
                if (clientGone != null) {
                    clientGone.removeListener(this);
                }
                try {
                    done.accept(message);
                } catch (RuntimeException e) {
                    // the connection's own state must still be settled
                    LOG.warn("handling the response of backend {} failed", backend.id(), e);
                }
            }
        }

        /** Gives the connection back to the pool if it can serve another request, else closes it. */
        private void finish(boolean reusable) {
            if (finished) {
                return;
            }
            finished = true;
            if (timer != null) {
                timer.cancel(false);
            }
            if (body != null) {
                body.release();
                body = null;
            }
            channel.attr(CALL).set(null);
            if (reusable) {
                channel.config().setAutoRead(true);
                channel.attr(IDLE_SINCE).set(System.nanoTime());
            } else {
                channel.close();
            }
            pool.release(channel);
        }

        @Override
        public void pause() {
            onChannelLoop(() -> {
                if (!finished) {
                    paused = true;
                    channel.config().setAutoRead(false);
                }
            });
        }

        @Override
        public void resume() {
            onChannelLoop(() -> {
                if (!finished && paused) {
                    paused = false;
                    lastActivity = System.nanoTime();
                    channel.config().setAutoRead(true);
                }
            });
        }

        /** The call's state belongs to its connection's event loop; a call that is over ignores late requests. */
        private void onChannelLoop(Runnable task) {
            if (channel.eventLoop().inEventLoop()) {
                task.run();
            } else {
                channel.eventLoop().execute(task);
            }
        }

        @Override
        public void cancel() {
            onChannelLoop(() -> finish(false));
        }
    }

    private static boolean isInterim(HttpResponse head) {
        int code = head.status().code();
        return code >= 100 && code < 200 && code != 101;
    }

    private static Map<String, String> passedHeaders(HttpResponse head) {
        Map<String, String> passed = new HashMap<>(4);
        for (String name : PASSED_HEADERS) {
            String value = head.headers().get(name);
            if (value != null) {
                passed.put(name, value);
            }
        }
        return passed;
    }
}
