package ilb.protocols;

import java.util.LinkedHashMap;
import java.util.Map;

import ilb.admission.LimitStore;
import ilb.admission.RateLimitHeaders;
import ilb.inference.Api;
import ilb.inference.ApiError;
import ilb.inference.BackendStream;
import ilb.inference.ExchangeProperties;
import ilb.inference.HttpReply;
import ilb.protocols.grpc.GrpcStatuses;
import ilb.telemetry.RequestRecords;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.component.netty.NettyConstants;
import org.apache.camel.component.netty.http.DefaultNettyHttpBinding;
import org.apache.camel.component.netty.http.NettyHttpConfiguration;
import org.apache.camel.component.netty.http.NettyHttpConstants;
import org.apache.camel.component.netty.http.NettyHttpMessage;
import org.apache.camel.processor.ThrottlerRejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.nio.charset.StandardCharsets.UTF_8;

/**
 * Writes every HTTP response of the inference API. A backend's whole response passes through as it is; a
 * streamed one is written chunk by chunk, each flushed the moment it arrives from the backend (camel-netty-http
 * would otherwise gather it whole); ilb's own errors take the shape of the client's API. Only the headers chosen
 * here reach the client: never an echo of the request's.
 */
public class InferenceHttpBinding extends DefaultNettyHttpBinding {

    private static final Logger LOG = LoggerFactory.getLogger(InferenceHttpBinding.class);

    @Override
    public HttpResponse toNettyResponse(Message message, NettyHttpConfiguration configuration) {
        Exchange exchange = message.getExchange();
        Api api = exchange.getProperty(ExchangeProperties.API, Api.OPENAI, Api.class);
        boolean close = "close".equalsIgnoreCase(exchange.getProperty(NettyHttpConstants.CONNECTION, String.class));
        Object body = message.getBody();
        FullHttpResponse response;
        if (exchange.getException() != null) {
            ApiError failed = fromException(exchange);
            RequestRecords.answered(exchange, failed);
            response = error(api, failed);
        } else if (body instanceof BackendStream stream) {
            RequestRecords.answered(exchange, stream);
            HttpRequest request = ((NettyHttpMessage) message).getHttpRequest();
            ChannelHandlerContext ctx = message.getHeader(NettyConstants.NETTY_CHANNEL_HANDLER_CONTEXT,
                    ChannelHandlerContext.class);
            stream(ctx.channel(), exchange, stream, close, request.protocolVersion().equals(HttpVersion.HTTP_1_0));
            // written already: camel-netty-http must not write anything more
            return null;
        } else if (body instanceof HttpReply reply) {
            RequestRecords.answered(exchange, reply);
            response = full(reply.status(), reply.headers(), reply.body());
        } else if (body instanceof ApiError error) {
            RequestRecords.answered(exchange, error);
            response = error(api, error);
        } else {
            LOG.warn("route {} ended without an inference response (body: {})", exchange.getFromRouteId(),
                    body == null ? null : body.getClass().getName());
            ApiError none = ApiError.internal("the route ended without a response");
            RequestRecords.answered(exchange, none);
            response = error(api, none);
        }
        served(response.headers(), exchange);
        if (close) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            message.setHeader(NettyConstants.NETTY_CLOSE_CHANNEL_WHEN_COMPLETE, true);
        }
        return response;
    }

    /**
     * The error a client gets for an exchange that failed inside ilb (taken off the exchange): 503 when a throttle
     * refused it, else a 500 and one WARN with the cause.
     */
    public static ApiError fromException(Exchange exchange) {
        Exception cause = exchange.getException();
        exchange.setException(null);
        if (cause instanceof ThrottlerRejectedExecutionException) {
            return ApiError.unavailable("overloaded", "ilb is at its request limit for this model", 1);
        }
        LOG.warn("request failed inside ilb on route {}", exchange.getFromRouteId(), cause);
        return ApiError.internal("ilb failed to handle the request; see its log");
    }

    static FullHttpResponse error(Api api, ApiError error) {
        FullHttpResponse response = full(error.status(), Map.of("content-type", "application/json"),
                ErrorBodies.render(api, error));
        if (error.retryAfterSeconds() > 0) {
            response.headers().setInt(HttpHeaderNames.RETRY_AFTER, error.retryAfterSeconds());
        }
        return response;
    }

    private static FullHttpResponse full(int status, Map<String, String> headers, byte[] body) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status),
                Unpooled.wrappedBuffer(body));
        headers.forEach((name, value) -> {
            // ilb's own carrier of a gRPC backend's status, for gRPC clients: a REST client has it in status and body
            if (!name.equals(GrpcStatuses.STATUS_HEADER)) {
                response.headers().set(name, value);
            }
        });
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        return response;
    }

    private static void served(HttpHeaders headers, Exchange exchange) {
        served(exchange).forEach(headers::set);
    }

    /**
     * The response headers that say how ilb served a request: {@code x-ilb-backend}, {@code x-ilb-attempts},
     * {@code x-ilb-model-version}, OpenAI's {@code x-ratelimit-*}; each only when known.
     */
    public static Map<String, String> served(Exchange exchange) {
        Map<String, String> headers = new LinkedHashMap<>();
        String backend = exchange.getProperty(ExchangeProperties.BACKEND, String.class);
        if (backend != null) {
            headers.put("x-ilb-backend", backend);
        }
        Integer attempts = exchange.getProperty(ExchangeProperties.ATTEMPTS, Integer.class);
        if (attempts != null) {
            headers.put("x-ilb-attempts", attempts.toString());
        }
        String version = exchange.getProperty(ExchangeProperties.MODEL_VERSION, String.class);
        if (version != null) {
            headers.put("x-ilb-model-version", version);
        }
        LimitStore.Verdict limits = exchange.getProperty(ExchangeProperties.RATE_LIMITS, LimitStore.Verdict.class);
        if (limits != null) {
            headers.putAll(RateLimitHeaders.of(limits));
        }
        return headers;
    }

    /**
     * Relays the stream to the client: every chunk flushed at once, backend reads paused while the client lags.
     * HTTP/1.0 clients get the events unframed, and the end of the stream is the end of the connection.
     */
    private static void stream(Channel client, Exchange exchange, BackendStream stream, boolean close,
            boolean http10) {
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(stream.status()));
        stream.headers().forEach(head.headers()::set);
        head.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-cache").set("x-accel-buffering", "no");
        if (http10) {
            close = true;
        } else {
            head.headers().set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        boolean closeAtEnd = close;
        if (closeAtEnd) {
            head.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        served(head.headers(), exchange);
        client.write(head);
        ChannelFutureListener clientGone = f -> stream.cancel();
        client.closeFuture().addListener(clientGone);
        stream.subscribe(new BackendStream.Subscriber() {
            @Override
            public void onChunk(ByteBuf chunk) {
                var written = client.writeAndFlush(new DefaultHttpContent(chunk));
                if (!client.isWritable()) {
                    stream.source().pause();
                    written.addListener(f -> stream.source().resume());
                }
            }

            @Override
            public void onEnd() {
                client.closeFuture().removeListener(clientGone);
                var written = client.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
                if (closeAtEnd) {
                    written.addListener(ChannelFutureListener.CLOSE);
                }
            }

            @Override
            public void onError(String reason) {
                // the client has had its first bytes, so no retry: end the stream with an error event and no
                // [DONE], which OpenAI clients raise as an error
                client.closeFuture().removeListener(clientGone);
                // the blank lines end an event the backend may have left half sent
                String event = "\n\ndata: " + new String(ErrorBodies.render(Api.OPENAI,
                        ApiError.badGateway(reason)), UTF_8) + "\n\n";
                client.write(new DefaultHttpContent(Unpooled.copiedBuffer(event, UTF_8)));
                client.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(ChannelFutureListener.CLOSE);
            }
        });
    }
}
