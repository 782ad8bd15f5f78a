package ilb.protocols.grpc;

import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import com.google.protobuf.ByteString;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import ilb.Appliance;
import ilb.Servers;
import ilb.inference.Protocol;
import ilb.protocols.grpc.v2.GRPCInferenceServiceGrpc;
import ilb.protocols.grpc.v2.ModelInferRequest;
import ilb.protocols.grpc.v2.ModelInferRequest.InferInputTensor;
import ilb.protocols.grpc.v2.ModelInferResponse;
import ilb.protocols.grpc.v2.ServerReadyRequest;
import ilb.simulator.SimulatorOptions;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.ClientCalls;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static ilb.PoolRoute.backend;
import static ilb.PoolRoute.pool;
import static ilb.protocols.grpc.GrpcClients.channel;
import static ilb.protocols.grpc.GrpcClients.failure;
import static ilb.protocols.grpc.GrpcClients.service;
import static ilb.protocols.grpc.GrpcClients.stub;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What a caller without an API key can make ilb read on the gRPC entry: the open calls (ServerReady, health,
 * reflection) are cut off at {@link OpenCalls#MAX_BYTES} while their bytes arrive, though their messages are within
 * ilb.grpc.maxMessageBytes (its default, 64 MiB, here); calls with a key are not held to it.
 */
class OpenCallsCostTest {

    private static final int MAX_MESSAGE_BYTES = 64 << 20;
    /** A message far past the cap and well within maxMessageBytes. */
    private static final int LARGE = 8 << 20;
    private static final Servers SERVERS = new Servers();
    private static Appliance ilb;
    private static ManagedChannel channel;

    @BeforeAll
    static void start() {
        ilb = SERVERS.ilb(pool("m", "round-robin", backend("m-0", SERVERS.backend(new SimulatorOptions()
                .protocol(Protocol.GRPC).models("m").ttftMs(1).itlMs(1)))));
        channel = channel(ilb.grpcPort(), MAX_MESSAGE_BYTES);
    }

    @AfterAll
    static void stop() throws Exception {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        SERVERS.close();
    }

    // -- within the cap: open calls as before

    @Test
    void serverReadyHealthAndReflectionStillNeedNoKey() throws Exception {
        var anonymous = GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
        HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(channel);
        StreamingCall<ServerReflectionRequest, ServerReflectionResponse> reflection = new StreamingCall<>(
                ServerReflectionGrpc.getServerReflectionInfoMethod());

        assertThat(anonymous.serverReady(ServerReadyRequest.getDefaultInstance()).getReady()).isTrue();
        await().until(() -> health.check(service("")).getStatus() == ServingStatus.SERVING);
        assertThat(reflection.ask(ServerReflectionRequest.newBuilder().setListServices("").build())
                .getListServicesResponse().getServiceList()).extracting(ServiceResponse::getName)
                .contains("inference.GRPCInferenceService");
    }

    @Test
    void aReflectionSessionAsGrpcurlsDescribeAsksItOnOneStreamIsAnswered() throws Exception {
        StreamingCall<ServerReflectionRequest, ServerReflectionResponse> session = new StreamingCall<>(
                ServerReflectionGrpc.getServerReflectionInfoMethod());
        String[] symbols = {"inference.GRPCInferenceService", "inference.GRPCInferenceService.ModelInfer",
                "inference.ModelInferRequest", "inference.ModelInferResponse", "grpc.health.v1.Health"};

        ServerReflectionResponse listed = session.ask(ServerReflectionRequest.newBuilder().setListServices("")
                .build());
        for (String symbol : symbols) {
            ServerReflectionResponse described = session.ask(ServerReflectionRequest.newBuilder()
                    .setFileContainingSymbol(symbol).build());
            String file = FileDescriptorProto.parseFrom(described.getFileDescriptorResponse()
                    .getFileDescriptorProto(0)).getName();
            ServerReflectionResponse byName = session.ask(ServerReflectionRequest.newBuilder()
                    .setFileByFilename(file).build());
            assertThat(byName.getFileDescriptorResponse().getFileDescriptorProtoCount()).as(symbol).isPositive();
        }

        assertThat(listed.getListServicesResponse().getServiceList()).extracting(ServiceResponse::getName)
                .contains("inference.GRPCInferenceService", "grpc.health.v1.Health");
    }

    // -- past the cap: cut off

    @Test
    void aLargeServerReadyWithoutAKeyIsCutOffAtTheCap() {
        MethodDescriptor<byte[], byte[]> serverReady = GRPCInferenceServiceGrpc.getServerReadyMethod()
                .toBuilder(RawMessage.MARSHALLER, RawMessage.MARSHALLER).build();

        StatusRuntimeException cut = failure(() -> ClientCalls.blockingUnaryCall(channel, serverReady,
                CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), new byte[LARGE]));

        assertTooLarge(cut.getStatus());
    }

    @Test
    void aLargeHealthCheckIsCutOffAtTheCap() {
        StatusRuntimeException cut = failure(() -> HealthGrpc.newBlockingStub(channel)
                .withDeadlineAfter(10, TimeUnit.SECONDS).check(service("m".repeat(LARGE))));

        assertTooLarge(cut.getStatus());
    }

    @Test
    void aLargeReflectionRequestIsCutOffAtTheCapOnV1AndV1alpha() {
        var v1 = new StreamingCall<>(ServerReflectionGrpc.getServerReflectionInfoMethod());
        var v1alpha = new StreamingCall<>(io.grpc.reflection.v1alpha.ServerReflectionGrpc
                .getServerReflectionInfoMethod());

        StatusRuntimeException cutV1 = failure(() -> v1.ask(ServerReflectionRequest.newBuilder()
                .setFileContainingSymbol("s".repeat(LARGE)).build()));
        StatusRuntimeException cutV1alpha = failure(() -> v1alpha.ask(io.grpc.reflection.v1alpha
                .ServerReflectionRequest.newBuilder().setFileContainingSymbol("s".repeat(LARGE)).build()));

        assertTooLarge(cutV1.getStatus());
        assertTooLarge(cutV1alpha.getStatus());
    }

    @Test
    void aReflectionStreamIsCutOffOnceItsRequestsTogetherPassTheCap() throws Exception {
        StreamingCall<ServerReflectionRequest, ServerReflectionResponse> stream = new StreamingCall<>(
                ServerReflectionGrpc.getServerReflectionInfoMethod());
        // about 1 KiB each: the cap passed by the 17th
        ServerReflectionRequest request = ServerReflectionRequest.newBuilder().setHost("h".repeat(1000))
                .setListServices("").build();
        int fitting = OpenCalls.MAX_BYTES / (5 + request.getSerializedSize());

        int answered = 0;
        StatusRuntimeException cut = null;
        while (cut == null && answered <= fitting) {
            try {
                stream.ask(request);
                answered++;
            } catch (StatusRuntimeException e) {
                cut = e;
            }
        }

        assertThat(answered).isEqualTo(fitting);
        assertThat(cut).as("cut off").isNotNull();
        assertTooLarge(cut.getStatus());
    }

    @Test
    void aMessageIsCutOffAtTheCapBeforeItHasAllArrived() throws Exception {
        // 8 MiB announced, 32 KiB of it sent, the rest never
        Http2Headers trailers = partOfAMessage(LARGE, 2 * OpenCalls.MAX_BYTES);

        assertThat(trailers.get("grpc-status")).hasToString(
                Integer.toString(Status.Code.RESOURCE_EXHAUSTED.value()));
        assertThat(trailers.get("grpc-message")).hasToString(OpenCalls.TOO_LARGE);
    }

    @Test
    void aCompressedMessageOnAnOpenCallIsRefused() {
        StatusRuntimeException refused = failure(() -> HealthGrpc.newBlockingStub(channel).withCompression("gzip")
                .withDeadlineAfter(10, TimeUnit.SECONDS).check(service("m")));

        assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED);
        assertThat(refused.getStatus().getDescription()).isEqualTo(OpenCalls.COMPRESSED);
    }

    // -- with a key: not held

    @Test
    void aLargeModelInferWithAKeyIsNotHeld() {
        byte[] tensor = new byte[1 << 20];
        new Random(7).nextBytes(tensor);
        ModelInferRequest request = ModelInferRequest.newBuilder().setModelName("m").setId("large")
                .addInputs(InferInputTensor.newBuilder().setName("INPUT0").setDatatype("UINT8").addShape(1)
                        .addShape(tensor.length))
                .addRawInputContents(ByteString.copyFrom(tensor)).build();

        ModelInferResponse answer = stub(channel, Appliance.API_KEY).modelInfer(request);

        assertThat(answer.getRawOutputContents(0).toByteArray()).isEqualTo(tensor);
    }

    // -- helpers

    private static void assertTooLarge(Status status) {
        assertThat(status.getCode()).as("%s", status).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(status.getDescription()).isEqualTo(OpenCalls.TOO_LARGE);
    }

    /**
     * Starts a ServerReady call by hand on a connection of its own, sends the framing of a message of
     * {@code announced} bytes and {@code sent} bytes of it, never the rest, nor the call's end: the trailers ilb ends
     * the call with.
     */
    private static Http2Headers partOfAMessage(int announced, int sent) throws Exception {
        EventLoopGroup loop = new NioEventLoopGroup(1);
        try {
            Channel connection = new Bootstrap().group(loop).channel(NioSocketChannel.class)
                    .handler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            // streams only the client opens: no handler for the server's
                            ch.pipeline().addLast(Http2FrameCodecBuilder.forClient().build(),
                                    new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()));
                        }
                    })
                    .connect("127.0.0.1", ilb.grpcPort()).sync().channel();
            CompletableFuture<Http2Headers> ended = new CompletableFuture<>();
            Http2StreamChannel call = new Http2StreamChannelBootstrap(connection)
                    .handler(new SimpleChannelInboundHandler<Http2HeadersFrame>() {
                        @Override
                        protected void channelRead0(ChannelHandlerContext ctx, Http2HeadersFrame frame) {
                            if (frame.isEndStream()) {
                                ended.complete(frame.headers());
                            }
                        }
                    })
                    .open().sync().getNow();
            call.write(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().method("POST").scheme("http")
                    .authority("127.0.0.1").path("/" + GRPCInferenceServiceGrpc.getServerReadyMethod()
                            .getFullMethodName())
                    .add("content-type", "application/grpc").add("te", "trailers")));
            // uncompressed, and its length
            call.write(new DefaultHttp2DataFrame(Unpooled.buffer(5).writeByte(0).writeInt(announced)));
            call.writeAndFlush(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(new byte[sent])));
            return ended.get(10, TimeUnit.SECONDS);
        } finally {
            loop.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
        }
    }

    /** A streaming call without a key, asked one request at a time. */
    private static final class StreamingCall<Q, A> {

        private final BlockingQueue<Object> heard = new LinkedBlockingQueue<>();
        private final ClientCall<Q, A> call;

        StreamingCall(MethodDescriptor<Q, A> method) {
            call = channel.newCall(method, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS));
            call.start(new ClientCall.Listener<>() {
                @Override
                public void onMessage(A answer) {
                    heard.add(answer);
                    call.request(1);
                }

                @Override
                public void onClose(Status status, Metadata trailers) {
                    heard.add(status);
                }
            }, new Metadata());
            call.request(1);
        }

        /** The answer to the request; the status the stream ended with instead, thrown. */
        @SuppressWarnings("unchecked")
        A ask(Q request) {
            call.sendMessage(request);
            Object next;
            try {
                next = heard.poll(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
            if (next instanceof Status status) {
                throw status.asRuntimeException();
            }
            assertThat(next).as("an answer within 10 s").isNotNull();
            return (A) next;
        }
    }
}
