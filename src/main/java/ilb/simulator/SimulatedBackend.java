package ilb.simulator;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import javax.net.ssl.SSLException;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import ilb.inference.Protocol;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;

/**
 * A vLLM-like model server on loopback: OpenAI and KServe v2 REST, SSE streaming, continuous batching, a prefix
 * cache, vLLM metrics and fault injection. It stands in for a GPU or CPU node; ilb cannot tell it from vLLM.
 * With {@code protocol} gRPC it serves instead KServe v2's {@code inference.GRPCInferenceService} and
 * {@code grpc.health.v1.Health} on its port, the same models on the same engine ({@link KServeGrpcService}).
 * <p>
 * Run it alone with {@code mvn -q exec:java@simulator -Dexec.args="--port 9101 --model llama"}, or in-process with
 * {@link #start(SimulatorOptions)}.
 */
public final class SimulatedBackend implements AutoCloseable {

    // as Python's json module, which vLLM uses, refuses a body with more after its value
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    /** KServe's binary extension: the body is a JSON header of this many bytes, then the tensors' raw bytes. */
    private static final String INFERENCE_HEADER = "inference-header-content-length";
    /** The largest gRPC message taken in: a 32 MiB tensor and more fit. */
    private static final int MAX_GRPC_MESSAGE = 64 << 20;

    private final SimulatorOptions options;
    private final KServeModels kserveModels;
    private final EventLoopGroup group = new NioEventLoopGroup(2);
    private final DefaultEventLoop engineLoop = new DefaultEventLoop();
    private final Scheduler scheduler = Scheduler.of(engineLoop);
    private final SimulatorMetrics metrics;
    private final BatchingEngine engine;
    private final AtomicLong ids = new AtomicLong();
    private final LongAdder inferenceRequests = new LongAdder();
    private final LongAdder streamedTokens = new LongAdder();
    private final LongAdder cancelledCalls = new LongAdder();
    /** What the gRPC health service says (the server's and each model's status), when the protocol is gRPC. */
    private final HealthStatusManager health = new HealthStatusManager();
    /** The listening socket, whichever protocol it serves. */
    private CrashableServerChannel server;
    /** The gRPC server on it, when the protocol is gRPC. */
    private Server grpcServer;

    private SimulatedBackend(SimulatorOptions options) {
        this.options = options;
        this.kserveModels = new KServeModels(options.models, options.versions);
        this.metrics = new SimulatorMetrics(options.models.get(0));
        this.engine = new BatchingEngine(scheduler, options, metrics);
    }

    public static SimulatedBackend start(SimulatorOptions options) {
        // before any thread starts: a mistake in the flags leaves nothing running
        SslContext tls = tls(options);
        SimulatedBackend backend = new SimulatedBackend(options);
        if (options.protocol == Protocol.GRPC) {
            backend.bindGrpc(tls);
        } else {
            backend.bind(tls);
        }
        return backend;
    }

    /** Its server TLS context (gRPC's negotiates HTTP/2 by ALPN), or null without {@code --tls-cert}. */
    private static SslContext tls(SimulatorOptions options) {
        if (options.tlsCert == null && options.tlsKey == null) {
            if (options.tlsClientCa != null) {
                throw new IllegalArgumentException("--tls-client-ca needs --tls-cert and --tls-key");
            }
            return null;
        }
        if (options.tlsCert == null || options.tlsKey == null) {
            throw new IllegalArgumentException("--tls-cert and --tls-key go together");
        }
        SslContextBuilder builder = SslContextBuilder.forServer(new File(options.tlsCert), new File(options.tlsKey))
                .sslProvider(SslProvider.JDK);
        if (options.tlsClientCa != null) {
            builder.trustManager(new File(options.tlsClientCa)).clientAuth(ClientAuth.REQUIRE);
        }
        try {
            return options.protocol == Protocol.GRPC ? GrpcSslContexts.configure(builder, SslProvider.JDK).build()
                    : builder.build();
        } catch (SSLException e) {
            throw new IllegalArgumentException("cannot serve TLS with " + options.tlsCert + ": " + e.getMessage(), e);
        }
    }

    private void bind(SslContext tls) {
        server = (CrashableServerChannel) new ServerBootstrap()
                .group(group)
                .channelFactory((ChannelFactory<CrashableServerChannel>) CrashableServerChannel::new)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (tls != null) {
                            ch.pipeline().addLast(tls.newHandler(ch.alloc()));
                        }
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(64 << 20), new Handler());
                    }
                })
                .bind(options.host, options.port).syncUninterruptibly().channel();
    }

    private void bindGrpc(SslContext tls) {
        options.models.forEach(model -> health.setStatus(model, HealthCheckResponse.ServingStatus.SERVING));
        health.setStatus("", HealthCheckResponse.ServingStatus.SERVING);
        grpcServer = NettyServerBuilder.forAddress(new InetSocketAddress(options.host, options.port))
                .channelFactory(() -> {
                    server = new CrashableServerChannel();
                    return server;
                })
                .bossEventLoopGroup(group)
                .workerEventLoopGroup(group)
                // calls run on the event loop: they never block, and answers come from the engine's thread
                .directExecutor()
                .maxInboundMessageSize(MAX_GRPC_MESSAGE)
                .addService(new KServeGrpcService(this))
                .addService(health.getHealthService())
                .sslContext(tls)
                .build();
        try {
            grpcServer.start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot serve gRPC on " + options.host + ":" + options.port, e);
        }
    }

    public int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    /** {@code http://host:port}, or {@code grpc://host:port} for a gRPC backend; {@code https}, {@code grpcs} with TLS. */
    public String url() {
        return (options.protocol == Protocol.GRPC ? "grpc" : "http") + (options.tlsCert != null ? "s" : "") + "://"
                + options.host + ":" + port();
    }

    public Faults faults() {
        return options.faults;
    }

    /**
     * Inference requests received (chat, completions, embeddings, KServe infer over REST or gRPC), whatever their
     * fate.
     */
    public long inferenceRequests() {
        return inferenceRequests.sum();
    }

    /**
     * Requests taken out of the engine (queue or batch) because their client went away before the answer: a gRPC
     * call cancelled or past its deadline, an HTTP connection closed. A request hung by a fault never entered it.
     */
    public long cancelledCalls() {
        return cancelledCalls.sum();
    }

    /** Tokens sent as stream events so far. */
    public long streamedTokens() {
        return streamedTokens.sum();
    }

    /** Sequences in the batch now. */
    public int running() {
        return metrics.running();
    }

    /** Prompt tokens that were prefix-cache hits so far. */
    public long prefixHitTokens() {
        return metrics.prefixHitTokens();
    }

    /** Dies like {@code kill -9}: the listening socket goes away and every connection is reset, mid-response or not. */
    public void crash() {
        server.crash();
        // once: close() crashes a backend that may have crashed already
        if (grpcServer != null && !grpcServer.isShutdown()) {
            // its connections are gone already, so it has no one left to say goodbye to: this frees what it holds
            health.enterTerminalState();
            grpcServer.shutdownNow();
            try {
                grpcServer.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void close() {
        crash();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        engineLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            QueryStringDecoder uri = new QueryStringDecoder(request.uri());
            String path = uri.path();
            boolean post = HttpMethod.POST.equals(request.method());
            boolean keepAlive = HttpUtil.isKeepAlive(request);
            Reply reply = new Reply(ctx.channel(), keepAlive, metrics);
            try {
                if (path.equals("/v1/chat/completions") || path.equals("/v1/completions")
                        || path.equals("/v1/embeddings")) {
                    requirePost(post);
                    countInferenceRequest();
                    if (faulted(reply, false)) {
                        return;
                    }
                    openAi(path, parse(request.content()), reply);
                } else if (path.startsWith("/v2/models/")) {
                    kserve(path.substring("/v2/models/".length()).split("/"), post, request, reply);
                } else if (path.equals("/health") || path.equals("/v2/health/live") || path.equals("/v2/health/ready")) {
                    reply.send(HttpResponseStatus.OK, "application/json", "");
                } else if (path.equals("/metrics")) {
                    reply.send(HttpResponseStatus.OK, "text/plain; version=0.0.4; charset=utf-8", metrics.scrape());
                } else if (path.equals("/v1/models")) {
                    reply.json(HttpResponseStatus.OK, models());
                } else if (path.equals("/v2")) {
                    reply.json(HttpResponseStatus.OK, JSON.createObjectNode().put("name", KServeModels.SERVER)
                            .put("version", KServeModels.SERVER_VERSION));
                } else if (path.equals("/sim/faults")) {
                    Map<String, String> settings = new LinkedHashMap<>();
                    uri.parameters().forEach((k, v) -> settings.put(k, v.get(0)));
                    options.faults.apply(settings);
                    reply.send(HttpResponseStatus.OK, "application/json", options.faults.toString());
                } else if (path.equals("/sim/crash") && post) {
                    crash();
                } else {
                    reply.openAiError(HttpResponseStatus.NOT_FOUND, "NotFoundError", "no route for " + path);
                }
            } catch (Rejected e) {
                reply.openAiError(e.status, e.type, e.getMessage());
            } catch (IllegalArgumentException e) {
                reply.openAiError(HttpResponseStatus.BAD_REQUEST, "BadRequestError", e.getMessage());
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    private static void requirePost(boolean post) {
        if (!post) {
            throw new Rejected(HttpResponseStatus.METHOD_NOT_ALLOWED, "BadRequestError", "use POST");
        }
    }

    private static JsonNode parse(ByteBuf json) {
        try {
            JsonNode body = JSON.readTree(new ByteBufInputStream(json));
            if (body == null || !body.isObject()) {
                throw badRequest("request body must be a JSON object");
            }
            return body;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw badRequest("malformed JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            // reading memory fails only on bytes in no encoding JSON allows (a CharConversionException)
            throw badRequest("malformed JSON: " + e.getMessage());
        }
    }

    private static Rejected badRequest(String problem) {
        return new Rejected(HttpResponseStatus.BAD_REQUEST, "BadRequestError", problem);
    }

    /** Applies an injected fault, if one is drawn; true when the request is taken care of. */
    private boolean faulted(Reply reply, boolean kserve) {
        Faults faults = options.faults;
        switch (faults.draw()) {
            case HANG -> {
                return true;
            }
            case ERROR -> {
                HttpResponseStatus status = HttpResponseStatus.valueOf(faults.errorStatus);
                if (kserve) {
                    reply.json(status, JSON.createObjectNode().put("error", "injected failure"));
                } else {
                    reply.openAiError(status, "InternalServerError", "injected failure");
                }
                return true;
            }
            case RATE_LIMIT -> {
                reply.retryAfter = faults.retryAfterSeconds;
                reply.openAiError(HttpResponseStatus.TOO_MANY_REQUESTS, "RateLimitError", "injected rate limit");
                return true;
            }
            default -> {
                return false;
            }
        }
    }

    private void openAi(String path, JsonNode body, Reply reply) {
        boolean chat = path.endsWith("/chat/completions");
        boolean embeddings = path.endsWith("/embeddings");
        // as vLLM: the body's schema first, then whether the model is served
        String problem = chat ? RequestValidation.chat(body)
                : embeddings ? RequestValidation.embedding(body) : RequestValidation.completion(body);
        if (problem != null) {
            throw badRequest(problem);
        }
        String model = body.get("model").textValue();
        if (!options.models.contains(model)) {
            throw new Rejected(HttpResponseStatus.NOT_FOUND, "NotFoundError",
                    "The model `" + model + "` does not exist.");
        }
        if (embeddings) {
            embeddings(model, body, reply);
            return;
        }
        List<String> prompt = chat ? chatPrompt(body) : words(promptText(body.get("prompt")));
        JsonNode limit = body.path("max_completion_tokens");
        if (limit.isMissingNode() || limit.isNull()) {
            limit = body.path("max_tokens");
        }
        boolean limited = limit.isInt();
        int outputTokens = limited ? limit.intValue() : options.outputTokens;
        String finishReason = limited ? "length" : "stop";
        boolean stream = body.path("stream").asBoolean(false);
        boolean includeUsage = body.path("stream_options").path("include_usage").asBoolean(false);
        String id = (chat ? "chatcmpl-" : "cmpl-") + ids.incrementAndGet();
        long created = System.currentTimeMillis() / 1000;
        Completion generation = new Completion(chat, id, model, created, prompt.size(), outputTokens, finishReason);
        if (stream) {
            reply.startStream();
            submit(reply, sequence(prompt, outputTokens, true, new BatchingEngine.Listener() {
                @Override
                public void started(long queuedNanos, int cachedTokens) {
                }

                @Override
                public void token(int index) {
                    streamedTokens.increment();
                    reply.event(generation.chunk(index).toString());
                }

                @Override
                public void finished() {
                    reply.event(generation.finalChunk().toString());
                    if (includeUsage) {
                        reply.event(generation.usageChunk().toString());
                    }
                    reply.event("[DONE]");
                    reply.endStream();
                }
            }));
        } else {
            submit(reply, sequence(prompt, outputTokens, false, new OnFinish(() -> reply.json(HttpResponseStatus.OK,
                    generation.complete()))));
        }
    }

    private void embeddings(String model, JsonNode body, Reply reply) {
        JsonNode input = body.get("input");
        List<String> inputs = new ArrayList<>();
        // a list of strings or of token-id lists is several inputs; a string or one token-id list is one
        if (input.get(0) != null && (input.get(0).isTextual() || input.get(0).isArray())) {
            input.forEach(item -> inputs.add(promptText(item)));
        } else {
            inputs.add(promptText(input));
        }
        boolean base64 = "base64".equals(body.path("encoding_format").asText());
        ObjectNode result = JSON.createObjectNode().put("object", "list").put("model", model);
        var data = result.putArray("data");
        int tokens = 0;
        for (int i = 0; i < inputs.size(); i++) {
            float[] vector = embedding(inputs.get(i));
            ObjectNode item = data.addObject().put("object", "embedding").put("index", i);
            if (base64) {
                var buffer = java.nio.ByteBuffer.allocate(vector.length * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                for (float v : vector) {
                    buffer.putFloat(v);
                }
                item.put("embedding", java.util.Base64.getEncoder().encodeToString(buffer.array()));
            } else {
                var array = item.putArray("embedding");
                for (float v : vector) {
                    array.add(v);
                }
            }
            tokens += words(inputs.get(i)).size();
        }
        result.putObject("usage").put("prompt_tokens", tokens).put("total_tokens", tokens);
        submit(reply, sequence(words(String.join(" ", inputs)), 1, false,
                new OnFinish(() -> reply.json(HttpResponseStatus.OK, result))));
    }

    private float[] embedding(String text) {
        float[] vector = new float[options.embeddingDims];
        long seed = text.hashCode();
        for (int i = 0; i < vector.length; i++) {
            seed = seed * 6364136223846793005L + 1442695040888963407L;
            vector[i] = (seed >>> 40) / (float) (1 << 24) - 0.5f;
        }
        return vector;
    }

    private void kserve(String[] parts, boolean post, FullHttpRequest request, Reply reply) {
        // parts: {model} [versions {version}] [infer|ready]
        String model = parts[0];
        String version = parts.length >= 3 && parts[1].equals("versions") ? parts[2] : null;
        int next = version == null ? 1 : 3;
        String action = parts.length > next ? parts[next] : "";
        String notFound = kserveModels.notFound(model, version);
        if (notFound != null) {
            reply.json(HttpResponseStatus.NOT_FOUND, JSON.createObjectNode().put("error", notFound));
            return;
        }
        switch (action) {
            case "" -> {
                ObjectNode meta = JSON.createObjectNode().put("name", model).put("platform", KServeModels.SERVER);
                kserveModels.versions().forEach(meta.putArray("versions")::add);
                tensorMetadata(meta.putArray("inputs"), KServeModels.INPUT);
                tensorMetadata(meta.putArray("outputs"), KServeModels.OUTPUT);
                reply.json(HttpResponseStatus.OK, meta);
            }
            case "ready" -> reply.send(HttpResponseStatus.OK, "application/json", "");
            case "infer" -> {
                if (!post) {
                    reply.json(HttpResponseStatus.METHOD_NOT_ALLOWED, JSON.createObjectNode().put("error", "use POST"));
                    return;
                }
                countInferenceRequest();
                if (faulted(reply, true)) {
                    return;
                }
                ByteBuf content = request.content();
                int headerLength = request.headers().getInt(INFERENCE_HEADER, -1);
                JsonNode body;
                try {
                    if (headerLength > content.readableBytes()) {
                        throw badRequest(INFERENCE_HEADER + " " + headerLength + " is more than the body's "
                                + content.readableBytes() + " bytes");
                    }
                    body = parse(headerLength < 0 ? content : content.slice(content.readerIndex(), headerLength));
                    String problem = RequestValidation.infer(body,
                            headerLength < 0 ? -1 : content.readableBytes() - headerLength);
                    if (problem != null) {
                        throw badRequest(problem);
                    }
                } catch (Rejected e) {
                    reply.json(HttpResponseStatus.BAD_REQUEST, JSON.createObjectNode().put("error", e.getMessage()));
                    return;
                }
                // copied now: the request's buffer is released before the reply goes out
                byte[] tensors = headerLength < 0 ? null
                        : ByteBufUtil.getBytes(content, content.readerIndex() + headerLength,
                                content.readableBytes() - headerLength);
                ObjectNode result = JSON.createObjectNode().put("model_name", model)
                        .put("model_version", kserveModels.answering(version));
                if (body.has("id")) {
                    result.set("id", body.get("id"));
                }
                var outputs = result.putArray("outputs");
                int elements = 0;
                for (JsonNode input : body.get("inputs")) {
                    ObjectNode output = outputs.addObject()
                            .put("name", KServeModels.outputName(input.get("name").textValue()))
                            .put("datatype", input.get("datatype").textValue());
                    output.set("shape", input.get("shape"));
                    JsonNode binarySize = input.path("parameters").path("binary_data_size");
                    if (tensors != null && !binarySize.isMissingNode()) {
                        // echoed as it came: its raw bytes follow the header in the same order
                        output.putObject("parameters").set("binary_data_size", binarySize);
                    } else {
                        output.set("data", input.get("data"));
                        elements += input.get("data").size();
                    }
                }
                submit(reply, inferSequence(elements, () -> {
                    if (tensors == null) {
                        reply.json(HttpResponseStatus.OK, result);
                    } else {
                        reply.binary(result, tensors);
                    }
                }));
            }
            default -> reply.json(HttpResponseStatus.NOT_FOUND, JSON.createObjectNode().put("error", "unknown path"));
        }
    }

    private static void tensorMetadata(ArrayNode tensors, String name) {
        ObjectNode tensor = tensors.addObject().put("name", name).put("datatype", KServeModels.DATATYPE);
        KServeModels.SHAPE.forEach(tensor.putArray("shape")::add);
    }

    private ObjectNode models() {
        ObjectNode list = JSON.createObjectNode().put("object", "list");
        var data = list.putArray("data");
        for (String model : options.models) {
            data.addObject().put("id", model).put("object", "model").put("created", 0).put("owned_by", "vllm")
                    .put("root", model);
        }
        return list;
    }

    private BatchingEngine.Sequence sequence(List<String> prompt, int outputTokens, boolean streaming,
            BatchingEngine.Listener listener) {
        return new BatchingEngine.Sequence(engine.cache().blockHashes(prompt), prompt.size(), outputTokens, streaming,
                listener);
    }

    /** A KServe infer, over REST or gRPC: a prompt of one token per data element, one output token. */
    BatchingEngine.Sequence inferSequence(int elements, Runnable onFinish) {
        return sequence(Collections.nCopies(Math.max(1, elements), "x"), 1, false, new OnFinish(onFinish));
    }

    /** Queues the sequence in the engine; its listener hears from the engine's thread. */
    void submit(BatchingEngine.Sequence sequence) {
        scheduler.execute(() -> engine.submit(sequence));
    }

    /** Frees the sequence's place in the engine, as vLLM aborts a request whose client went away. */
    void cancel(BatchingEngine.Sequence sequence) {
        scheduler.execute(() -> {
            if (engine.cancel(sequence)) {
                cancelledCalls.increment();
            }
        });
    }

    private void submit(Reply reply, BatchingEngine.Sequence sequence) {
        ChannelFutureListener abort = f -> cancel(sequence);
        reply.channel.closeFuture().addListener(abort);
        reply.onDone = () -> reply.channel.closeFuture().removeListener(abort);
        submit(sequence);
    }

    void countInferenceRequest() {
        inferenceRequests.increment();
    }

    KServeModels kserveModels() {
        return kserveModels;
    }

    private static List<String> chatPrompt(JsonNode body) {
        StringBuilder text = new StringBuilder();
        for (JsonNode message : body.path("messages")) {
            text.append(message.path("role").asText()).append(": ").append(promptText(message.path("content")))
                    .append('\n');
        }
        return words(text.toString());
    }

    /** A string, content parts' text, or token ids, each id a word. */
    private static String promptText(JsonNode content) {
        if (!content.isArray()) {
            return content.isNumber() ? content.asText() : content.textValue() != null ? content.textValue() : "";
        }
        StringBuilder text = new StringBuilder();
        content.forEach(part -> text.append(part.isObject() ? part.path("text").asText() : promptText(part))
                .append(' '));
        return text.toString();
    }

    /** The simulator's tokenizer: one token per word. */
    static List<String> words(String text) {
        List<String> tokens = Arrays.stream(text.trim().split("\\s+")).filter(w -> !w.isEmpty()).toList();
        return tokens.isEmpty() ? List.of("") : tokens;
    }

    /** A listener that only cares about the end of generation (non-streaming requests). */
    private record OnFinish(Runnable action) implements BatchingEngine.Listener {
        @Override
        public void started(long queuedNanos, int cachedTokens) {
        }

        @Override
        public void token(int index) {
        }

        @Override
        public void finished() {
            action.run();
        }
    }

    /** A request answered with an error before any work: its status and vLLM's name for the error. */
    private static final class Rejected extends RuntimeException {
        final HttpResponseStatus status;
        final String type;

        Rejected(HttpResponseStatus status, String type, String message) {
            // no stack trace: an answer to a client, not a bug, and cheap when a benchmark sends many
            super(message, null, false, false);
            this.status = status;
            this.type = type;
        }
    }

    /** Standalone: {@code --port 9101 --model llama --max-num-seqs 8 --itl-ms 20 --error-rate 0.05 ...}. */
    public static void main(String[] args) throws InterruptedException {
        SimulatorOptions options = SimulatorOptions.parse(args);
        SimulatedBackend backend = start(options);
        Runtime.getRuntime().addShutdownHook(new Thread(backend::close));
        System.out.println("simulated backend serving " + options.models + " on " + backend.url());
        new CountDownLatch(1).await();
    }
}
