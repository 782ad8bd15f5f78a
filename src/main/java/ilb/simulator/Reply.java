package ilb.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
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

    void openAiError(HttpResponseStatus status, String type, String message) {
        ObjectNode body = JSON.createObjectNode();
        body.putObject("error").put("message", message).put("type", type).putNull("param").put("code", status.code());
        json(status, body);
    }

    void send(HttpResponseStatus status, String contentType, String body) {
        onDone.run();
        metrics.response(status.code());
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(body, UTF_8));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
        if (retryAfter > 0) {
            response.headers().setInt(HttpHeaderNames.RETRY_AFTER, retryAfter);
        }
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
