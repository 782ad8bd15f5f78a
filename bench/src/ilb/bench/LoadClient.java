package ilb.bench;

import java.net.URI;
import java.time.Duration;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.ScheduledFuture;

import static java.nio.charset.StandardCharsets.US_ASCII;

/**
 * The load generator's HTTP/1.1 client: asynchronous chat completions to one server over keep-alive connections,
 * reused when idle and opened when none is (an open-loop load never waits for a connection). It runs on one Netty
 * I/O thread so that it takes little of the CPU it shares with the systems it measures. Requests go with the bench's
 * own key unless they carry a tenant's ({@link ChatRequest#withApiKey}); the response headers it is asked to keep
 * (e.g. {@code x-ilb-model-version}) are in each sample. To an {@code https://} url it speaks TLS, trusting the
 * bench's authority ({@link BenchTls}); connections are kept alive as in plain HTTP, so a handshake is paid once per
 * connection, not per request.
 */
final class LoadClient implements AutoCloseable {

    private static final String PATH = "/v1/chat/completions";

    private final String host;
    private final long timeoutNanos;
    private final List<String> keptHeaders;
    private final EventLoopGroup loop = new NioEventLoopGroup(1, new DefaultThreadFactory("load-client", true));
    private final Bootstrap bootstrap;
    /** Connections with no request on them, most recently used first so that few stay warm. */
    private final Deque<Channel> idle = new ConcurrentLinkedDeque<>();
    /** Connections opened so far: with TLS, the handshakes. */
    private final AtomicLong opened = new AtomicLong();
    /** The TLS version and cipher suite of the last handshake; null over plain HTTP. */
    private volatile String negotiated;

    /**
     * A client of the server at {@code baseUrl}; a request still unanswered {@code timeout} after its intended send
     * time fails. Each sample keeps the response headers named in {@code keptHeaders}.
     */
    LoadClient(String baseUrl, Duration timeout, String... keptHeaders) {
        URI uri = URI.create(baseUrl);
        this.host = uri.getHost() + ":" + uri.getPort();
        this.timeoutNanos = timeout.toNanos();
        this.keptHeaders = List.of(keptHeaders).stream().map(h -> h.toLowerCase(Locale.ROOT)).toList();
        SslContext tls = uri.getScheme().equals("https") ? BenchTls.current().nettyClient() : null;
        this.bootstrap = new Bootstrap().group(loop).channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 2000)
                .remoteAddress(uri.getHost(), uri.getPort())
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (tls != null) {
                            // writes wait in the handler until the handshake is done
                            SslHandler handler = tls.newHandler(ch.alloc(), uri.getHost(), uri.getPort());
                            handler.handshakeFuture().addListener(f -> {
                                if (f.isSuccess()) {
                                    negotiated = handler.engine().getSession().getProtocol() + " "
                                            + handler.engine().getSession().getCipherSuite();
                                }
                            });
                            ch.pipeline().addLast(handler);
                        }
                        ch.pipeline().addLast(new HttpClientCodec(), new ResponseHandler());
                    }
                });
    }

    /** Sends the request now; {@code done} gets its sample, on the client's thread, whatever happens. */
    void send(ChatRequest request, long intendedNanos, Consumer<Sample> done) {
        Call call = new Call(request, intendedNanos, done);
        call.timeout = loop.schedule(() -> call.fail("timeout"), intendedNanos + timeoutNanos - System.nanoTime(),
                TimeUnit.NANOSECONDS);
        for (Channel ch = idle.pollFirst(); ch != null; ch = idle.pollFirst()) {
            if (ch.isActive()) {
                Channel reused = ch;
                reused.eventLoop().execute(() -> start(reused, call));
                return;
            }
        }
        connect(call);
    }

    private void connect(Call call) {
        bootstrap.connect().addListener((ChannelFuture f) -> {
            if (f.isSuccess()) {
                opened.incrementAndGet();
                start(f.channel(), call);
            } else {
                call.fail("connect failed");
            }
        });
    }

    private void start(Channel ch, Call call) {
        if (call.finished) {
            idle.addFirst(ch);
            return;
        }
        if (!ch.isActive()) {
            // the server closed it while it was idle: not the request's fault
            connect(call);
            return;
        }
        call.channel = ch;
        ch.pipeline().get(ResponseHandler.class).call = call;
        FullHttpRequest http = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, PATH,
                Unpooled.wrappedBuffer(call.request.body()));
        http.headers().set(HttpHeaderNames.HOST, host)
                .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .set(HttpHeaderNames.CONTENT_LENGTH, call.request.body().length)
                .set(HttpHeaderNames.AUTHORIZATION, "Bearer sk-ilb-demo");
        call.request.headers().forEach(http.headers()::set);
        ch.writeAndFlush(http).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
    }

    /** Connections the client has opened so far (over TLS, each one a full handshake). */
    long connectionsOpened() {
        return opened.get();
    }

    /** What the last TLS handshake agreed on ({@code TLSv1.3 TLS_AES_128_GCM_SHA256}); null if there was none. */
    String negotiated() {
        return negotiated;
    }

    @Override
    public void close() {
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** One request in flight. Touched only on the client's thread. */
    private final class Call {
        final ChatRequest request;
        final long intendedNanos;
        final Consumer<Sample> done;
        /** Set just after the call is made; null only if its deadline had passed already. */
        volatile ScheduledFuture<?> timeout;
        Channel channel;
        int status;
        boolean keepAlive;
        long ttftNanos = -1;
        /** The kept response headers; none unless the client keeps some. */
        Map<String, String> headers = Map.of();
        /** A streamed body, kept to find its first {@code data:} event and its {@code data: [DONE]}. */
        final StringBuilder events;
        boolean finished;

        Call(ChatRequest request, long intendedNanos, Consumer<Sample> done) {
            this.request = request;
            this.intendedNanos = intendedNanos;
            this.done = done;
            this.events = request.stream() ? new StringBuilder() : null;
        }

        void content(HttpContent content) {
            if (!request.stream()) {
                return;
            }
            events.append(content.content().toString(US_ASCII));
            if (ttftNanos < 0 && events.indexOf("data:") >= 0) {
                ttftNanos = System.nanoTime() - intendedNanos;
            }
        }

        /** The response ended; the connection goes back to the idle ones if the server keeps it open. */
        void ended() {
            String error = status / 100 != 2 ? "http " + status
                    : request.stream() && events.indexOf("data: [DONE]") < 0 ? "stream without [DONE]" : null;
            channel.pipeline().get(ResponseHandler.class).call = null;
            if (keepAlive) {
                idle.addFirst(channel);
            } else {
                channel.close();
            }
            finish(error);
        }

        void fail(String error) {
            if (!finished && channel != null) {
                // a timed-out call may still be running on the server: closing tells it to stop
                channel.pipeline().get(ResponseHandler.class).call = null;
                channel.close();
            }
            finish(error);
        }

        private void finish(String error) {
            if (finished) {
                return;
            }
            finished = true;
            if (timeout != null) {
                timeout.cancel(false);
            }
            done.accept(new Sample(intendedNanos, ttftNanos, System.nanoTime() - intendedNanos, error, status,
                    headers));
        }
    }

    /** Reads the responses of one connection into the call on it. */
    private final class ResponseHandler extends SimpleChannelInboundHandler<HttpObject> {
        Call call;

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
            Call current = call;
            if (current == null) {
                return;
            }
            if (msg instanceof HttpResponse response) {
                current.status = response.status().code();
                current.keepAlive = HttpUtil.isKeepAlive(response);
                if (!keptHeaders.isEmpty()) {
                    current.headers = new HashMap<>();
                    for (String name : keptHeaders) {
                        String value = response.headers().get(name);
                        if (value != null) {
                            current.headers.put(name, value);
                        }
                    }
                }
            }
            if (msg instanceof HttpContent content) {
                current.content(content);
                if (content instanceof LastHttpContent) {
                    current.ended();
                }
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (call != null) {
                call.fail("connection closed");
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
