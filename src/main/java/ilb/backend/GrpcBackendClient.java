package ilb.backend;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

import ilb.inference.BackendFailure;
import ilb.inference.EventLoops;
import ilb.inference.InferenceMessage;
import ilb.protocols.grpc.KServeGrpcCodec;
import ilb.protocols.grpc.RawMessage;
import io.grpc.Attributes;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ClientStreamTracer;
import io.grpc.Codec;
import io.grpc.ConnectivityState;
import io.grpc.DecompressorRegistry;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GenericFutureListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An asynchronous gRPC client for model servers that speak KServe v2 over gRPC, on grpc-java and the same Netty event
 * loops as {@link HttpBackendClient}: long-lived HTTP/2 channels per backend address (one per event loop, see
 * {@link Held}), kept while an endpoint of the backend runs ({@link #hold}) and shut down when the last one stops
 * ({@link #release}). Each connects on its first call. Messages pass as bytes, never parsed here: a tensor of many
 * megabytes is not decoded and encoded again. A call ends as a {@link #call} says; nothing waits on any thread. To a
 * {@code grpcs://} backend the channels talk TLS ({@link BackendTls}); a failed handshake is its connect failure.
 */
public final class GrpcBackendClient implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(GrpcBackendClient.class);
    /** Request metadata passed on to the backend: tracing, never the client's credentials. */
    private static final List<Metadata.Key<String>> PASSED_HEADERS = KServeGrpcCodec.FORWARDED_HEADERS.stream()
            .map(GrpcBackendClient::ascii).toList();
    private static final Metadata.Key<String> AUTHORIZATION = ascii("authorization");
    /**
     * Pings on a connection with calls that has been quiet this long, to find a server gone without a word. Not
     * sooner: gRPC servers by default cut off a client that pings more often than every five minutes.
     */
    private static final long KEEPALIVE_MINUTES = 5;
    private static final long KEEPALIVE_TIMEOUT_SECONDS = 20;
    /** Channels are kept per backend address (and its TLS, if any). */
    private record Address(String host, int port, long connectTimeoutMillis, BackendTls tls) {
        static Address of(BackendSettings backend) {
            return new Address(backend.host(), backend.port(), backend.connectTimeoutMillis(), backend.tls());
        }
    }

    /**
     * A backend address's channels, one per event loop, each made on its loop's first call; and the number of running
     * endpoints that use them. A call goes on the channel of the loop it is made on, so that it is served on one thread
     * from client to backend and back, as an HTTP request is.
     */
    private final class Held {
        private final Address address;
        private final Map<EventLoop, ManagedChannel> byLoop = new ConcurrentHashMap<>();
        private int holders;
        /** Set once its last endpoint has stopped: a channel made by a call racing that is shut down at once. */
        private volatile boolean released;

        Held(Address address) {
            this.address = address;
        }

        /** The channel of the calling thread's event loop; any loop's for another thread. */
        ManagedChannel channel() {
            return byLoop.computeIfAbsent(EventLoops.current(group), loop -> {
                ManagedChannel made = GrpcBackendClient.this.channel(address, loop);
                if (released) {
                    made.shutdown();
                }
                return made;
            });
        }

        Collection<ManagedChannel> made() {
            return byLoop.values();
        }
    }

    private final EventLoopGroup group;
    private final int maxResponseBytes;
    private final Map<Address, Held> channels = new ConcurrentHashMap<>();

    /**
     * @param group            the event loops the channels run on (NIO): best those of the inbound servers and the
     *                         HTTP client, so that a call needs no hand-off
     * @param maxResponseBytes the largest response message taken; a larger one fails the call as
     *                         {@link BackendFailure.Kind#RESPONSE_TOO_LARGE}, before any of it is gathered
     */
    public GrpcBackendClient(EventLoopGroup group, int maxResponseBytes) {
        this.group = group;
        this.maxResponseBytes = maxResponseBytes;
    }

    /** A call's descriptor (its full name, its kind) with its messages as bytes. */
    public static MethodDescriptor<byte[], byte[]> onBytes(MethodDescriptor<?, ?> method) {
        return method.toBuilder(RawMessage.MARSHALLER, RawMessage.MARSHALLER).build();
    }

    /** An endpoint of the backend has started: its channel is made if it has none. */
    public synchronized void hold(BackendSettings backend) {
        channels.computeIfAbsent(Address.of(backend), Held::new).holders++;
    }

    /** An endpoint of the backend has stopped: its channel is shut down if none is left (calls under way finish). */
    public synchronized void release(BackendSettings backend) {
        Address address = Address.of(backend);
        Held held = channels.get(address);
        if (held != null && --held.holders == 0) {
            channels.remove(address);
            held.released = true;
            held.made().forEach(ManagedChannel::shutdown);
        }
    }

    private ManagedChannel channel(Address address, EventLoop loop) {
        NettyChannelBuilder builder = NettyChannelBuilder.forAddress(address.host(), address.port());
        if (address.tls() == null) {
            builder.usePlaintext();
        } else {
            // grpc-java verifies (and sends as SNI) the authority's host: the server's name, not its address
            builder.sslContext(address.tls().context())
                    .overrideAuthority(address.tls().serverName() + ":" + address.port());
        }
        return builder
                .eventLoopGroup(loop)
                .channelType(NioSocketChannel.class)
                .withOption(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) address.connectTimeoutMillis())
                // callbacks run on the connection's event loop: they never block
                .directExecutor()
                .maxInboundMessageSize(maxResponseBytes)
                // the balancer retries, on another backend; grpc-java's own retries would keep a copy of each request
                // message (up to a MiB) and ask the same server again
                .disableRetry()
                // no compression offered, so responses come as they are: passed on so, their size known from a
                // message's first bytes
                .decompressorRegistry(DecompressorRegistry.emptyInstance().with(Codec.Identity.NONE, false))
                .keepAliveTime(KEEPALIVE_MINUTES, TimeUnit.MINUTES)
                .keepAliveTimeout(KEEPALIVE_TIMEOUT_SECONDS, TimeUnit.SECONDS)
                .build();
    }

    /**
     * Calls the backend. {@code done} gets exactly one outcome: the response message as
     * {@code HttpReply(200, content-type application/grpc, <message>)}; the backend's own error status as
     * {@link ilb.protocols.grpc.GrpcStatuses#reply}; or a {@link BackendFailure} ({@link GrpcCallEnd}). The call's
     * deadline is the nearer of the backend's timeout and deadline, or the request's own ({@code limits}); the
     * backend sees it as {@code grpc-timeout}. If {@code clientGone} completes first, the call is cancelled (the
     * backend sees CANCELLED) and ends as {@link BackendFailure.Kind#CLIENT_GONE}.
     *
     * @param headers the request's headers, of which only tracing ones are passed on
     */
    public void call(BackendSettings backend, MethodDescriptor<byte[], byte[]> method, byte[] message,
            Map<String, String> headers, TimeLimits limits, Future<?> clientGone, Consumer<InferenceMessage> done) {
        Held held = channels.get(Address.of(backend));
        if (held == null) {
            done.accept(new BackendFailure(BackendFailure.Kind.CONNECT, "no channel to backend " + backend.id()
                    + ": none of its endpoints runs"));
            return;
        }
        ManagedChannel channel = held.channel();
        if (channel.getState(false) == ConnectivityState.TRANSIENT_FAILURE) {
            // try to connect again now, as HTTP does for every request, not after gRPC's backoff (up to 2 minutes)
            channel.resetConnectBackoff();
        }
        Call call = new Call(backend, limits, clientGone, done);
        if (clientGone != null && clientGone.isDone()) {
            call.complete(new BackendFailure(BackendFailure.Kind.CLIENT_GONE, "the client went away"));
            return;
        }
        call.start(channel, method, message, metadata(backend, headers));
    }

    private static Metadata metadata(BackendSettings backend, Map<String, String> headers) {
        Metadata metadata = new Metadata();
        for (Metadata.Key<String> key : PASSED_HEADERS) {
            String value = headers.get(key.name());
            if (value != null) {
                metadata.put(key, value);
            }
        }
        if (backend.apiKey() != null && !backend.apiKey().isEmpty()) {
            metadata.put(AUTHORIZATION, "Bearer " + backend.apiKey());
        }
        return metadata;
    }

    private static Metadata.Key<String> ascii(String name) {
        return Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER);
    }

    /** Shuts every channel down at once (ilb stops), and waits a little for them to be gone. */
    @Override
    public synchronized void close() {
        List<ManagedChannel> closing = new ArrayList<>();
        channels.values().forEach(held -> held.made().forEach(channel -> closing.add(channel.shutdownNow())));
        channels.clear();
        try {
            for (ManagedChannel channel : closing) {
                channel.awaitTermination(1, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One call; its listener runs on the connection's event loop, a client going away on the client's. */
    private final class Call extends ClientCall.Listener<byte[]> implements GenericFutureListener<Future<Object>> {
        private final BackendSettings backend;
        private final TimeLimits limits;
        private final Future<?> clientGone;
        private final Consumer<InferenceMessage> done;
        private final long sentNanos = System.nanoTime();
        private final AtomicBoolean completed = new AtomicBoolean();
        /** Whether the call got a stream on a connection: something may have reached the backend. */
        private volatile boolean connected;
        /** Whether the call's status came from the backend, in its trailers, rather than from this side. */
        private volatile boolean backendsStatus;
        private ClientCall<byte[], byte[]> call;
        private byte[] response;

        Call(BackendSettings backend, TimeLimits limits, Future<?> clientGone, Consumer<InferenceMessage> done) {
            this.backend = backend;
            this.limits = limits;
            this.clientGone = clientGone;
            this.done = done;
        }

        void start(ManagedChannel channel, MethodDescriptor<byte[], byte[]> method, byte[] message, Metadata metadata) {
            CallOptions options = CallOptions.DEFAULT
                    .withDeadlineAfter(limits.leftNanos(sentNanos, sentNanos, false), TimeUnit.NANOSECONDS)
                    .withStreamTracerFactory(new Tracing());
            call = channel.newCall(method, options);
            call.start(this, metadata);
            call.request(1);
            call.sendMessage(message);
            call.halfClose();
            if (clientGone != null) {
                clientGone.addListener(this);
            }
        }

        @Override
        public void onMessage(byte[] message) {
            response = message;
        }

        @Override
        public void onClose(Status status, Metadata trailers) {
            BackendFailure tlsFailure = backend.tls() == null || connected ? null
                    : backend.tls().tlsFailure(backend, status.getCause());
            complete(tlsFailure != null ? tlsFailure : new GrpcCallEnd(status, trailers, response, connected,
                    backendsStatus).outcome(limits, sentNanos, System.nanoTime(), maxResponseBytes));
        }

        /** The client went away: stop the backend's work on the call. */
        @Override
        public void operationComplete(Future<Object> gone) {
            if (complete(new BackendFailure(BackendFailure.Kind.CLIENT_GONE, "the client went away"))) {
                call.cancel("the client went away", null);
            }
        }

        /** Hands the outcome over, if it is the first; whether it was. */
        boolean complete(InferenceMessage outcome) {
            if (!completed.compareAndSet(false, true)) {
                return false;
            }
            if (clientGone != null) {
                clientGone.removeListener(this);
            }
            try {
                done.accept(outcome);
            } catch (RuntimeException e) {
                LOG.warn("handling the outcome of a gRPC backend call failed", e);
            }
            return true;
        }

        /** Sees what grpc-java's listener does not say: whether a stream was made, whose the status is. */
        private final class Tracing extends ClientStreamTracer.Factory {
            @Override
            public ClientStreamTracer newClientStreamTracer(ClientStreamTracer.StreamInfo info, Metadata headers) {
                return new ClientStreamTracer() {
                    @Override
                    public void streamCreated(Attributes transportAttrs, Metadata headers) {
                        connected = true;
                    }

                    @Override
                    public void inboundTrailers(Metadata trailers) {
                        backendsStatus = true;
                    }
                };
            }
        }
    }
}
