package ilb.protocols;

import ilb.inference.Api;
import ilb.inference.ApiError;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import org.apache.camel.component.netty.NettyConsumer;
import org.apache.camel.component.netty.ServerInitializerFactory;
import org.apache.camel.component.netty.http.HttpServerInitializerFactory;
import org.apache.camel.component.netty.http.NettyHttpConsumer;

/**
 * camel-netty-http's server pipeline, except that a body over the size limit is refused with a 413 in the API's
 * own JSON shape (Netty's own answer has an empty body).
 */
public class InferenceHttpServer extends HttpServerInitializerFactory {

    public InferenceHttpServer() {
    }

    private InferenceHttpServer(NettyHttpConsumer consumer) {
        super(consumer);
    }

    @Override
    public ServerInitializerFactory createPipelineFactory(NettyConsumer consumer) {
        return new InferenceHttpServer((NettyHttpConsumer) consumer);
    }

    @Override
    protected void initChannel(Channel ch) throws Exception {
        super.initChannel(ch);
        int limit = configuration.getChunkedMaxContentLength();
        ch.pipeline().replace("aggregator", "aggregator", new HttpObjectAggregator(limit) {
            @Override
            protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
                String uri = oversized instanceof HttpRequest request ? request.uri() : "";
                Api api = uri.startsWith("/v2") ? Api.KSERVE : Api.OPENAI;
                FullHttpResponse response = InferenceHttpBinding.error(api, ApiError.tooLarge(limit));
                response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
                ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
            }
        });
    }
}
