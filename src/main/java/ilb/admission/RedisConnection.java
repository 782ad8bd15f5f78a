package ilb.admission;

import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.ErrorRedisMessage;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import io.netty.handler.codec.redis.IntegerRedisMessage;
import io.netty.handler.codec.redis.RedisArrayAggregator;
import io.netty.handler.codec.redis.RedisBulkStringAggregator;
import io.netty.handler.codec.redis.RedisDecoder;
import io.netty.handler.codec.redis.RedisEncoder;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.handler.codec.redis.SimpleStringRedisMessage;
import io.netty.util.ReferenceCountUtil;

/**
 * One long-lived connection to Redis on one Netty event loop, never blocking a caller: commands are pipelined and
 * their answers matched to them in order. A command not answered within the timeout fails, and so does every other
 * sent on the connection, which is closed (a late answer would be matched to the wrong command); a command sent
 * while there is no connection fails at once. Lost or refused, the connection is made again, waiting longer each
 * time up to {@value #MAX_BACKOFF_MILLIS} ms.
 */
public final class RedisConnection implements AutoCloseable {

    private static final long FIRST_BACKOFF_MILLIS = 50;
    private static final long MAX_BACKOFF_MILLIS = 2_000;
    private static final int CONNECT_TIMEOUT_MILLIS = 2_000;

    /** Told, on the connection's event loop, when commands may be sent and when they no longer can. */
    public interface Listener {
        void connected();

        void lost(Throwable why);
    }

    /** An error Redis answered. */
    public static final class ErrorReply extends RuntimeException {
        public ErrorReply(String message) {
            super(message);
        }
    }

    /**
     * Where Redis is: {@code redis://[[user]:password@]host[:port][/database]}. Its text never shows the password.
     */
    public record Address(String host, int port, String user, String password, int database) {

        public static Address parse(String url) {
            URI uri;
            try {
                uri = URI.create(url.trim());
            } catch (IllegalArgumentException e) {
                // not chained: the parser's message quotes the URL, password and all
                throw new IllegalArgumentException("ilb.limits.redis is not a redis:// URL (a password with '%', '@'"
                        + " or ':' must be percent-encoded)");
            }
            if (!"redis".equals(uri.getScheme()) || uri.getHost() == null) {
                throw new IllegalArgumentException("ilb.limits.redis must be redis://[[user]:password@]host[:port]"
                        + "[/database], not " + uri.getScheme() + "://...");
            }
            String user = null;
            String password = null;
            if (uri.getRawUserInfo() != null) {
                String[] parts = uri.getRawUserInfo().split(":", 2);
                user = parts[0].isEmpty() ? null : decode(parts[0]);
                password = parts.length == 2 ? decode(parts[1]) : null;
            }
            String path = uri.getPath() == null ? "" : uri.getPath().replaceFirst("^/", "");
            int database;
            try {
                database = path.isEmpty() ? 0 : Integer.parseInt(path);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("ilb.limits.redis: the database must be a number, not " + path);
            }
            return new Address(uri.getHost(), uri.getPort() < 0 ? 6379 : uri.getPort(), user, password, database);
        }

        private static String decode(String text) {
            return URLDecoder.decode(text, StandardCharsets.UTF_8);
        }

        @Override
        public String toString() {
            return host + ":" + port + (database == 0 ? "" : "/" + database);
        }
    }

    private final Address address;
    private final EventLoop loop;
    private final long timeoutMillis;
    private final Listener listener;
    /** The connection commands go to: made, and past AUTH and SELECT; null while there is none. */
    private volatile Channel ready;
    /** The connection being made or in use; touched on the loop only, like the backoff. */
    private Channel current;
    private long backoffMillis = FIRST_BACKOFF_MILLIS;
    private volatile boolean closed;

    public RedisConnection(Address address, EventLoop loop, long timeoutMillis, Listener listener) {
        this.address = address;
        this.loop = loop;
        this.timeoutMillis = timeoutMillis;
        this.listener = listener;
    }

    public Address address() {
        return address;
    }

    public EventLoop loop() {
        return loop;
    }

    /** Whether commands may be sent (else they fail at once). */
    public boolean isReady() {
        return ready != null;
    }

    /** Starts connecting; the listener hears how it goes. */
    public void connect() {
        loop.execute(this::attempt);
    }

    /** Sends a command; its answer: a String, Long, null, or a List of them; an {@link ErrorReply} fails it. */
    public CompletableFuture<Object> send(String... args) {
        Channel channel = ready;
        if (channel == null) {
            return CompletableFuture.failedFuture(new IOException("not connected"));
        }
        return write(channel, args);
    }

    @Override
    public void close() {
        closed = true;
        loop.execute(() -> {
            if (current != null) {
                current.close();
            }
        });
    }

    private void attempt() {
        if (closed) {
            return;
        }
        ChannelFuture connecting = new Bootstrap().group(loop).channel(NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, CONNECT_TIMEOUT_MILLIS)
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel channel) {
                        channel.pipeline().addLast(new RedisDecoder(), new RedisBulkStringAggregator(),
                                new RedisArrayAggregator(), new RedisEncoder(), new Replies());
                    }
                })
                .connect(address.host(), address.port());
        current = connecting.channel();
        connecting.addListener((ChannelFutureListener) made -> {
            if (made.isSuccess()) {
                made.channel().closeFuture().addListener((ChannelFutureListener) gone ->
                        lost(gone.channel(), gone.channel().pipeline().get(Replies.class).why()));
                handshake(made.channel());
            } else {
                lost(made.channel(), made.cause());
            }
        });
    }

    /** AUTH and SELECT as the URL says, then ready. */
    private void handshake(Channel channel) {
        List<CompletableFuture<Object>> steps = new ArrayList<>();
        if (address.password() != null) {
            steps.add(address.user() == null ? write(channel, "AUTH", address.password())
                    : write(channel, "AUTH", address.user(), address.password()));
        }
        if (address.database() != 0) {
            steps.add(write(channel, "SELECT", Integer.toString(address.database())));
        }
        CompletableFuture.allOf(steps.toArray(CompletableFuture[]::new)).whenComplete((done, failure) -> {
            if (failure != null) {
                channel.pipeline().get(Replies.class).fail(failure.getCause() == null ? failure : failure.getCause());
            } else if (channel.isActive() && !closed) {
                backoffMillis = FIRST_BACKOFF_MILLIS;
                ready = channel;
                listener.connected();
            }
        });
    }

    private void lost(Channel channel, Throwable why) {
        if (ready == channel) {
            ready = null;
        }
        if (closed) {
            return;
        }
        listener.lost(why);
        loop.schedule(this::attempt, backoffMillis, TimeUnit.MILLISECONDS);
        backoffMillis = Math.min(MAX_BACKOFF_MILLIS, backoffMillis * 2);
    }

    private CompletableFuture<Object> write(Channel channel, String... args) {
        List<RedisMessage> parts = new ArrayList<>(args.length);
        for (String arg : args) {
            parts.add(new FullBulkStringRedisMessage(ByteBufUtil.writeUtf8(channel.alloc(), arg)));
        }
        CompletableFuture<Object> reply = new CompletableFuture<>();
        channel.writeAndFlush(new Command(new ArrayRedisMessage(parts), reply)).addListener(written -> {
            if (!written.isSuccess() && reply.completeExceptionally(written.cause())) {
                channel.close();
            }
        });
        return reply;
    }

    private record Command(RedisMessage message, CompletableFuture<Object> reply) {
    }

    private record Pending(CompletableFuture<Object> reply, ScheduledFuture<?> timeout) {
    }

    /** Matches answers to the commands sent, in order, on the connection's loop. */
    private final class Replies extends ChannelDuplexHandler {
        private final ArrayDeque<Pending> pending = new ArrayDeque<>();
        private ChannelHandlerContext context;
        private Throwable why;

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            context = ctx;
        }

        Throwable why() {
            return why != null ? why : new IOException("connection closed");
        }

        /** Closes the connection for {@code cause}, which every command waiting on it fails with. */
        void fail(Throwable cause) {
            if (why == null) {
                why = cause;
            }
            context.close();
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object message, ChannelPromise promise) {
            Command command = (Command) message;
            CompletableFuture<Object> reply = command.reply();
            ScheduledFuture<?> timeout = ctx.executor().schedule(() -> {
                TimeoutException late = new TimeoutException("no answer within " + timeoutMillis + " ms");
                reply.completeExceptionally(late);
                fail(late);
            }, timeoutMillis, TimeUnit.MILLISECONDS);
            pending.add(new Pending(reply, timeout));
            ctx.write(command.message(), promise);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object message) {
            Pending waiting = pending.poll();
            try {
                if (waiting == null) {
                    fail(new IOException("an answer to no command"));
                    return;
                }
                waiting.timeout().cancel(false);
                if (message instanceof ErrorRedisMessage error) {
                    waiting.reply().completeExceptionally(new ErrorReply(error.content()));
                } else {
                    waiting.reply().complete(value((RedisMessage) message));
                }
            } catch (RuntimeException unknown) {
                waiting.reply().completeExceptionally(unknown);
            } finally {
                ReferenceCountUtil.release(message);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            fail(cause);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            Throwable cause = why();
            for (Pending waiting; (waiting = pending.poll()) != null; ) {
                waiting.timeout().cancel(false);
                waiting.reply().completeExceptionally(cause);
            }
            ctx.fireChannelInactive();
        }
    }

    private static Object value(RedisMessage message) {
        if (message instanceof SimpleStringRedisMessage text) {
            return text.content();
        } else if (message instanceof IntegerRedisMessage number) {
            return number.value();
        } else if (message instanceof FullBulkStringRedisMessage bulk) {
            return bulk.isNull() ? null : bulk.content().toString(StandardCharsets.UTF_8);
        } else if (message instanceof ArrayRedisMessage array) {
            if (array.isNull()) {
                return null;
            }
            List<Object> values = new ArrayList<>(array.children().size());
            for (RedisMessage child : array.children()) {
                values.add(value(child));
            }
            return values;
        } else if (message instanceof ErrorRedisMessage error) {
            return new ErrorReply(error.content());
        }
        throw new IllegalStateException("an answer of an unknown kind: " + message);
    }
}
