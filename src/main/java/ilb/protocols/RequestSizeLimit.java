package ilb.protocols;

import ilb.inference.Api;
import ilb.inference.ApiError;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.ReferenceCountUtil;
import org.apache.camel.component.netty.ChannelHandlerFactory;

/**
 * Refuses a request body over the limit with a 413 in the API's own JSON shape, before it is gathered in memory.
 * Sits right after the HTTP decoder of camel-netty-http's server ({@code decoders=#requestSizeLimit}); Netty's
 * own limit would answer with an empty body.
 */
public final class RequestSizeLimit extends ChannelInboundHandlerAdapter implements ChannelHandlerFactory {

    private final long limit;
    private long received;
    private boolean refusing;
    private String uri = "";

    public RequestSizeLimit(long limit) {
        this.limit = limit;
    }

    @Override
    public ChannelHandler newChannelHandler() {
        return new RequestSizeLimit(limit);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest request) {
            received = 0;
            refusing = false;
            uri = request.uri();
            if (HttpUtil.getContentLength(request, 0L) > limit) {
                refuse(ctx);
            }
        }
        if (msg instanceof HttpContent content && !refusing) {
            received += content.content().readableBytes();
            if (received > limit) {
                refuse(ctx);
            }
        }
        if (refusing) {
            ReferenceCountUtil.release(msg);
        } else {
            ctx.fireChannelRead(msg);
        }
        if (msg instanceof LastHttpContent) {
            received = 0;
        }
    }

    private void refuse(ChannelHandlerContext ctx) {
        refusing = true;
        Api api = Api.forPath(new QueryStringDecoder(uri).path());
        FullHttpResponse response = InferenceHttpBinding.error(api, ApiError.tooLarge(limit));
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        // from the tail of the pipeline: the response encoder sits after this handler
        ctx.channel().writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }
}
