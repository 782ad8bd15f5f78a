package ilb.protocols;

import java.util.HashMap;
import java.util.Map;

import ilb.admission.Tenant;
import ilb.inference.Api;
import ilb.inference.ApiError;
import ilb.inference.ExchangeProperties;
import ilb.inference.InferenceMessage;
import ilb.inference.InferenceRequest;
import ilb.routing.ModelCatalog;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.QueryStringDecoder;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.component.netty.NettyConstants;
import org.apache.camel.component.netty.http.NettyHttpMessage;

/**
 * The HTTP entry route's step after {@link ilb.admission.ApiKeys}: reads the request just enough to route it
 * (OpenAI under {@code /v1},
 * KServe v2 under {@code /v2}) and leaves an {@link InferenceRequest} for {@code model:*}. What ilb answers
 * itself (model lists, health, every error) ends the route here.
 */
public final class HttpApi implements Processor {

    /** Request headers passed on to backends; never the client's credentials. */
    private static final String[] FORWARDED_HEADERS = {"content-type", "accept", "x-request-id", "traceparent",
        "tracestate", "inference-header-content-length"};

    private final OpenAiApi openAi;
    private final KServeApi kserve;
    private final String sessionHeader;

    /** @param sessionHeader the request header that names the client's session, for session affinity */
    public HttpApi(ModelCatalog catalog, String sessionHeader) {
        this.openAi = new OpenAiApi(catalog);
        this.kserve = new KServeApi(catalog);
        this.sessionHeader = sessionHeader;
    }

    @Override
    public void process(Exchange exchange) {
        FullHttpRequest request = exchange.getIn(NettyHttpMessage.class).getHttpRequest();
        String method = request.method().name();
        QueryStringDecoder uri = new QueryStringDecoder(request.uri());
        exchange.setProperty(ExchangeProperties.API, Api.forPath(uri.path()));
        Tenant tenant = exchange.getProperty(ExchangeProperties.TENANT, Tenant.class);

        // bodies over the size limit never get here: RequestSizeLimit refuses them (a batch job's line is as large
        // as its Kafka record may be)
        InferenceMessage result = read(tenant, method, uri, forwardedHeaders(request),
                ByteBufUtil.getBytes(request.content()));
        if (result instanceof InferenceRequest inference) {
            ChannelHandlerContext client = exchange.getIn().getHeader(NettyConstants.NETTY_CHANNEL_HANDLER_CONTEXT,
                    ChannelHandlerContext.class);
            String session = request.headers().get(sessionHeader);
            exchange.getMessage().setBody(inference.onConnection(session == null || session.isBlank() ? null : session,
                    client.channel().closeFuture()));
        } else {
            exchange.getMessage().setBody(result);
            exchange.setRouteStop(true);
        }
    }

    /**
     * What a request for {@code uri} (path and query) comes to: an {@link InferenceRequest} for its model's route, or
     * what ilb answers itself (model lists, health, errors). Batch jobs are read here too.
     */
    public InferenceMessage read(Tenant tenant, String method, String uri, Map<String, String> headers, byte[] body) {
        return read(tenant, method, new QueryStringDecoder(uri), headers, body);
    }

    private InferenceMessage read(Tenant tenant, String method, QueryStringDecoder decoded, Map<String, String> headers,
            byte[] body) {
        String path = decoded.path();
        if (Api.forPath(path) == Api.KSERVE) {
            return kserve.handle(tenant, method, path, decoded.rawQuery(), headers, body);
        }
        if (path.equals("/v1") || path.startsWith("/v1/")) {
            return openAi.handle(tenant, method, path, decoded.uri(), headers, body);
        }
        return ApiError.notFound("unknown_url", "Unknown request URL: " + method + " " + path
                + ". ilb serves the OpenAI API under /v1 and KServe v2 under /v2.");
    }

    private static Map<String, String> forwardedHeaders(FullHttpRequest request) {
        Map<String, String> headers = new HashMap<>(4);
        for (String name : FORWARDED_HEADERS) {
            String value = request.headers().get(name);
            if (value != null) {
                headers.put(name, value);
            }
        }
        return headers;
    }
}
