package ilb.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;

import static java.nio.charset.StandardCharsets.UTF_8;

/** The response side of one request. */
final class Reply {

    private static final ObjectMapper JSON = new ObjectMapper();

    final Channel channel;
    final boolean keepAlive;
    private final SimulatorMetrics metrics;
    int retryAfter;
    Runnable onDone = () -> { };

    Reply(Channel channel, boolean keepAlive, SimulatorMetrics metrics) {
        this.channel = channel;
        this.keepAlive = keepAlive;
        this.metrics = metrics;
    }

    void json(HttpResponseStatus status, JsonNode body) {
        send(status, "application/json", body.toString());
    }

    /** vLLM's error body: {@code {"object":"error","message","type","param","code"}}. */
    void openAiError(HttpResponseStatus status, String type, String message) {
        json(status, JSON.createObjectNode().put("object", "error").put("message", message).put("type", type)
                .putNull("param").put("code", status.code()));
    }

    void send(HttpResponseStatus status, String contentType, String body) {
        write(response(status, contentType, Unpooled.copiedBuffer(body, UTF_8)));
    }

    /** A KServe infer response in the binary extension: its JSON header, then the output tensors' raw bytes. */
    void binary(JsonNode header, byte[] tensors) {
        byte[] json = header.toString().getBytes(UTF_8);
        FullHttpResponse response = response(HttpResponseStatus.OK, "application/octet-stream",
                Unpooled.wrappedBuffer(json, tensors));
        response.headers().setInt("inference-header-content-length", json.length);
        write(response);
    }

    private FullHttpResponse response(HttpResponseStatus status, String contentType, ByteBuf body) {
        onDone.run();
        metrics.response(status.code());
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
        if (retryAfter > 0) {
            response.headers().setInt(HttpHeaderNames.RETRY_AFTER, retryAfter);
        }
        return response;
    }

    private void write(FullHttpResponse response) {
        finish(channel.writeAndFlush(response));
    }

    void startStream() {
        HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8")
                .set(HttpHeaderNames.CACHE_CONTROL, "no-cache")
                .set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        channel.writeAndFlush(response);
    }

    void event(String data) {
        channel.writeAndFlush(new DefaultHttpContent(Unpooled.copiedBuffer("data: " + data + "\n\n", UTF_8)));
    }

    void endStream() {
        onDone.run();
        metrics.response(200);
        finish(channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT));
    }

    private void finish(ChannelFuture write) {
        if (!keepAlive) {
            write.addListener(ChannelFutureListener.CLOSE);
        }
    }
}
