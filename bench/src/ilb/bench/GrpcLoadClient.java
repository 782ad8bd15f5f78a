package ilb.bench;

import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import com.google.protobuf.ByteString;
import ilb.protocols.grpc.v2.GRPCInferenceServiceGrpc;
import ilb.protocols.grpc.v2.ModelInferRequest;
import ilb.protocols.grpc.v2.ModelInferResponse;
import io.grpc.Deadline;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * The load generator's gRPC client: KServe v2 {@code ModelInfer} calls of one small tensor, asynchronous, over a few
 * HTTP/2 channels (grpc-java on Netty), each call on the next channel in turn, many in flight on each. Like
 * {@link LoadClient} it runs on one Netty I/O thread, answers handled on it (no executor), so that it takes little of
 * the CPU it shares with the systems it measures. Calls carry the bench's key as {@code authorization} metadata.
 */
final class GrpcLoadClient implements AutoCloseable {

    /** The tensor every call sends: one FP32 input of shape [1, 16], as raw_input_contents (64 bytes). */
    static final int ELEMENTS = 16;
    static final ModelInferRequest REQUEST = request();

    private static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization",
            Metadata.ASCII_STRING_MARSHALLER);

    private final long timeoutNanos;
    private final EventLoopGroup loop = new NioEventLoopGroup(1, new DefaultThreadFactory("grpc-load-client", true));
    private final List<ManagedChannel> channels = new ArrayList<>();
    private final List<GRPCInferenceServiceGrpc.GRPCInferenceServiceStub> stubs = new ArrayList<>();
    private final AtomicInteger next = new AtomicInteger();

    /**
     * A client of the server at {@code baseUrl} ({@code grpc://host:port}) over {@code channels} HTTP/2 connections,
     * opened at once; a call still unanswered {@code timeout} after its intended send time fails (its deadline).
     */
    GrpcLoadClient(String baseUrl, int channels, Duration timeout) {
        URI uri = URI.create(baseUrl);
        this.timeoutNanos = timeout.toNanos();
        Metadata headers = new Metadata();
        headers.put(AUTHORIZATION, "Bearer sk-ilb-demo");
        for (int i = 0; i < channels; i++) {
            ManagedChannel channel = NettyChannelBuilder.forAddress(uri.getHost(), uri.getPort())
                    .usePlaintext()
                    .eventLoopGroup(loop)
                    .channelType(NioSocketChannel.class)
                    .directExecutor()
                    // a call the bench counts is a call sent once
                    .disableRetry()
                    .build();
            channel.getState(true);
            this.channels.add(channel);
            stubs.add(GRPCInferenceServiceGrpc.newStub(channel)
                    .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers)));
        }
    }

    /** Sends a call of {@link #REQUEST} now; {@code done} gets its sample, on the client's thread, whatever happens. */
    void send(long intendedNanos, Consumer<Sample> done) {
        var stub = stubs.get(Math.floorMod(next.getAndIncrement(), stubs.size()));
        stub.withDeadline(Deadline.after(intendedNanos + timeoutNanos - System.nanoTime(), TimeUnit.NANOSECONDS))
                .modelInfer(REQUEST, new Call(intendedNanos, done));
    }

    /**
     * Whether the gRPC server at {@code baseUrl} answers a call of {@link #REQUEST} well within {@code atMost}: null
     * if it does, else what went wrong. Blocks the caller.
     */
    static String notReady(String baseUrl, Duration atMost) {
        try (GrpcLoadClient client = new GrpcLoadClient(baseUrl, 1, atMost)) {
            CompletableFuture<Sample> answer = new CompletableFuture<>();
            client.send(System.nanoTime(), answer::complete);
            return answer.get(atMost.toNanos() + TimeUnit.SECONDS.toNanos(1), TimeUnit.NANOSECONDS).error();
        } catch (ExecutionException | TimeoutException e) {
            return e.toString();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    @Override
    public void close() {
        channels.forEach(ManagedChannel::shutdownNow);
        try {
            for (ManagedChannel channel : channels) {
                channel.awaitTermination(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static ModelInferRequest request() {
        ByteBuffer values = ByteBuffer.allocate(ELEMENTS * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < ELEMENTS; i++) {
            values.putFloat(i / (float) ELEMENTS);
        }
        return ModelInferRequest.newBuilder().setModelName(ChatRequest.MODEL)
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("INPUT0").setDatatype("FP32")
                        .addShape(1).addShape(ELEMENTS))
                .addRawInputContents(ByteString.copyFrom(values.array()))
                .build();
    }

    /**
     * One call in flight: a success is one response that echoes the input (the simulator's answer: OUTPUT0, the same
     * bytes), then the call's end; anything else is an error named by its gRPC code ({@code timeout} for the
     * deadline, as {@link LoadClient} names it).
     */
    private static final class Call implements StreamObserver<ModelInferResponse> {
        final long intendedNanos;
        final Consumer<Sample> done;
        String error = "no response";

        Call(long intendedNanos, Consumer<Sample> done) {
            this.intendedNanos = intendedNanos;
            this.done = done;
        }

        @Override
        public void onNext(ModelInferResponse response) {
            boolean echoed = response.getOutputsCount() == 1 && response.getOutputs(0).getName().equals("OUTPUT0")
                    && response.getRawOutputContentsList().equals(REQUEST.getRawInputContentsList());
            error = echoed ? null : "wrong answer";
        }

        @Override
        public void onError(Throwable t) {
            Status status = Status.fromThrowable(t);
            finish(status.getCode() == Status.Code.DEADLINE_EXCEEDED ? "timeout" : "grpc " + status.getCode());
        }

        @Override
        public void onCompleted() {
            finish(error);
        }

        private void finish(String outcome) {
            done.accept(new Sample(intendedNanos, -1, System.nanoTime() - intendedNanos, outcome,
                    outcome == null ? 200 : 0, Map.of()));
        }
    }
}
