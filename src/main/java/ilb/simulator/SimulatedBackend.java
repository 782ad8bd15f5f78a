package ilb.simulator;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.concurrent.GlobalEventExecutor;

import static java.nio.charset.StandardCharsets.UTF_8;

/**
 * A vLLM-like model server on loopback: OpenAI and KServe v2 REST, SSE streaming, continuous batching, a prefix
 * cache, vLLM metrics and fault injection. It stands in for a GPU or CPU node; ilb cannot tell it from vLLM.
 * <p>
 * Run it alone with {@code mvn -q exec:java@simulator -Dexec.args="--port 9101 --model llama"}, or in-process with
 * {@link #start(SimulatorOptions)}.
 */
public final class SimulatedBackend implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final SimulatorOptions options;
    private final EventLoopGroup group = new NioEventLoopGroup(2);
    private final DefaultEventLoop engineLoop = new DefaultEventLoop();
    private final Scheduler scheduler = Scheduler.of(engineLoop);
    private final SimulatorMetrics metrics;
    private final BatchingEngine engine;
    private final ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final AtomicLong ids = new AtomicLong();
    private final LongAdder inferenceRequests = new LongAdder();
    private final LongAdder streamedTokens = new LongAdder();
    private Channel server;

    private SimulatedBackend(SimulatorOptions options) {
        this.options = options;
        this.metrics = new SimulatorMetrics(options.models.get(0));
        this.engine = new BatchingEngine(scheduler, options, metrics);
    }

    public static SimulatedBackend start(SimulatorOptions options) {
        SimulatedBackend backend = new SimulatedBackend(options);
        backend.bind();
        return backend;
    }

    private void bind() {
        server = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        connections.add(ch);
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(64 << 20), new Handler());
                    }
                })
                .bind(options.host, options.port).syncUninterruptibly().channel();
    }

    public int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    public String url() {
        return "http://" + options.host + ":" + port();
    }

    public Faults faults() {
        return options.faults;
    }

    /** Inference requests received (chat, completions, embeddings, KServe infer), whatever their fate. */
    public long inferenceRequests() {
        return inferenceRequests.sum();
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
        server.close().syncUninterruptibly();
        for (Channel ch : connections) {
            // on the channel's own thread, so that it cannot close in between
            ch.eventLoop().execute(() -> {
                if (ch.isOpen()) {
                    // linger 0: the peer gets a reset, as when a process dies
                    ch.config().setOption(ChannelOption.SO_LINGER, 0);
                }
                ch.close();
            });
        }
        connections.newCloseFuture().awaitUninterruptibly();
    }

    @Override
    public void close() {
        crash();
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
        engineLoop.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
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
                    inferenceRequests.increment();
                    if (faulted(reply, false)) {
                        return;
                    }
                    openAi(path, parse(request), reply);
                } else if (path.startsWith("/v2/models/")) {
                    kserve(path.substring("/v2/models/".length()).split("/"), post, request, reply);
                } else if (path.equals("/health") || path.equals("/v2/health/live") || path.equals("/v2/health/ready")) {
                    reply.send(HttpResponseStatus.OK, "application/json", "");
                } else if (path.equals("/metrics")) {
                    reply.send(HttpResponseStatus.OK, "text/plain; version=0.0.4; charset=utf-8", metrics.scrape());
                } else if (path.equals("/v1/models")) {
                    reply.json(HttpResponseStatus.OK, models());
                } else if (path.equals("/v2")) {
                    reply.json(HttpResponseStatus.OK, JSON.createObjectNode().put("name", "ilb-simulator")
                            .put("version", "1"));
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
            } catch (BadRequest e) {
                reply.openAiError(e.status, "BadRequestError", e.getMessage());
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
            throw new BadRequest(HttpResponseStatus.METHOD_NOT_ALLOWED, "use POST");
        }
    }

    private static JsonNode parse(FullHttpRequest request) {
        try {
            JsonNode body = JSON.readTree(request.content().toString(UTF_8));
            if (body == null || !body.isObject()) {
                throw new BadRequest(HttpResponseStatus.BAD_REQUEST, "request body must be a JSON object");
            }
            return body;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new BadRequest(HttpResponseStatus.BAD_REQUEST, "malformed JSON: " + e.getOriginalMessage());
        }
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
        String model = body.path("model").asText("");
        if (!options.models.contains(model)) {
            throw new BadRequest(HttpResponseStatus.NOT_FOUND, "The model `" + model + "` does not exist.");
        }
        if (path.endsWith("/embeddings")) {
            embeddings(model, body, reply);
            return;
        }
        boolean chat = path.endsWith("/chat/completions");
        List<String> prompt = chat ? chatPrompt(body) : words(promptText(body.path("prompt")));
        JsonNode limit = body.has("max_completion_tokens") ? body.get("max_completion_tokens") : body.get("max_tokens");
        int outputTokens = limit != null && limit.canConvertToInt() ? limit.asInt() : options.outputTokens;
        String finishReason = limit != null ? "length" : "stop";
        boolean stream = body.path("stream").asBoolean(false);
        boolean includeUsage = body.path("stream_options").path("include_usage").asBoolean(false);
        String id = (chat ? "chatcmpl-" : "cmpl-") + ids.incrementAndGet();
        long created = System.currentTimeMillis() / 1000;
        Completion generation = new Completion(chat, id, model, created, prompt.size(), outputTokens, finishReason);
        if (stream) {
            reply.startStream();
            submit(reply, prompt, outputTokens, true, new BatchingEngine.Listener() {
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
            });
        } else {
            submit(reply, prompt, outputTokens, false, new OnFinish(() -> reply.json(HttpResponseStatus.OK,
                    generation.complete())));
        }
    }

    private void embeddings(String model, JsonNode body, Reply reply) {
        JsonNode input = body.path("input");
        List<String> inputs = new ArrayList<>();
        if (input.isArray()) {
            input.forEach(item -> inputs.add(item.isTextual() ? item.asText() : item.toString()));
        } else {
            inputs.add(input.asText());
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
        submit(reply, words(String.join(" ", inputs)), 1, false,
                new OnFinish(() -> reply.json(HttpResponseStatus.OK, result)));
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
        if (!options.models.contains(model) || (version != null && !options.versions.contains(version))) {
            reply.json(HttpResponseStatus.NOT_FOUND, JSON.createObjectNode()
                    .put("error", "model " + model + (version == null ? "" : " version " + version) + " not found"));
            return;
        }
        switch (action) {
            case "" -> {
                ObjectNode meta = JSON.createObjectNode().put("name", model).put("platform", "ilb-simulator");
                options.versions.forEach(meta.putArray("versions")::add);
                meta.putArray("inputs").addObject().put("name", "INPUT0").put("datatype", "FP32")
                        .putArray("shape").add(-1).add(-1);
                meta.putArray("outputs").addObject().put("name", "OUTPUT0").put("datatype", "FP32")
                        .putArray("shape").add(-1).add(-1);
                reply.json(HttpResponseStatus.OK, meta);
            }
            case "ready" -> reply.send(HttpResponseStatus.OK, "application/json", "");
            case "infer" -> {
                if (!post) {
                    reply.json(HttpResponseStatus.METHOD_NOT_ALLOWED, JSON.createObjectNode().put("error", "use POST"));
                    return;
                }
                inferenceRequests.increment();
                if (faulted(reply, true)) {
                    return;
                }
                JsonNode body;
                try {
                    body = parse(request);
                } catch (BadRequest e) {
                    reply.json(HttpResponseStatus.BAD_REQUEST, JSON.createObjectNode().put("error", e.getMessage()));
                    return;
                }
                ObjectNode result = JSON.createObjectNode().put("model_name", model)
                        .put("model_version", version == null ? options.versions.get(options.versions.size() - 1) : version);
                if (body.has("id")) {
                    result.set("id", body.get("id"));
                }
                var outputs = result.putArray("outputs");
                int elements = 0;
                for (JsonNode input : body.path("inputs")) {
                    ObjectNode output = outputs.addObject()
                            .put("name", input.path("name").asText().replace("INPUT", "OUTPUT"))
                            .put("datatype", input.path("datatype").asText("FP32"));
                    output.set("shape", input.path("shape"));
                    output.set("data", input.path("data"));
                    elements += input.path("data").size();
                }
                submit(reply, words("x ".repeat(Math.max(1, elements))), 1, false,
                        new OnFinish(() -> reply.json(HttpResponseStatus.OK, result)));
            }
            default -> reply.json(HttpResponseStatus.NOT_FOUND, JSON.createObjectNode().put("error", "unknown path"));
        }
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

    private void submit(Reply reply, List<String> prompt, int outputTokens, boolean streaming,
            BatchingEngine.Listener listener) {
        BatchingEngine.Sequence sequence = new BatchingEngine.Sequence(engine.cache().blockHashes(prompt), prompt.size(),
                outputTokens, streaming, listener);
        // a client that goes away frees its place in the batch, as vLLM aborts the request
        ChannelFutureListener abort = f -> scheduler.execute(() -> engine.cancel(sequence));
        reply.channel.closeFuture().addListener(abort);
        reply.onDone = () -> reply.channel.closeFuture().removeListener(abort);
        scheduler.execute(() -> engine.submit(sequence));
    }

    private static List<String> chatPrompt(JsonNode body) {
        StringBuilder text = new StringBuilder();
        for (JsonNode message : body.path("messages")) {
            text.append(message.path("role").asText()).append(": ").append(promptText(message.path("content")))
                    .append('\n');
        }
        return words(text.toString());
    }

    private static String promptText(JsonNode content) {
        if (!content.isArray()) {
            return content.asText("");
        }
        StringBuilder text = new StringBuilder();
        content.forEach(part -> text.append(part.isTextual() ? part.asText() : part.path("text").asText()).append(' '));
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

    private static final class BadRequest extends RuntimeException {
        final HttpResponseStatus status;

        BadRequest(HttpResponseStatus status, String message) {
            super(message);
            this.status = status;
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
