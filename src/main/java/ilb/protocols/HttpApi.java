package ilb.protocols;

import java.util.HashMap;
import java.util.Map;

import ilb.admission.Tenant;
import ilb.inference.Api;
import ilb.inference.ApiError;
import ilb.inference.ExchangeProperties;
import ilb.inference.InferenceMessage;
import ilb.inference.InferenceRequest;
import ilb.inference.Priority;
import ilb.inference.Protocol;
import ilb.routing.ModelCatalog;
import ilb.telemetry.RefusalMeters;
import ilb.telemetry.RequestRecord;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.concurrent.Future;
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

    /** Lowers a request's class below its tenant's own: {@code critical|standard|sheddable}. */
    public static final String PRIORITY_HEADER = "x-ilb-priority";
    /** Pins a model version (a KServe path's version comes first). */
    public static final String VERSION_HEADER = "x-ilb-model-version";

    private final OpenAiApi openAi;
    private final KServeApi kserve;
    private final String sessionHeader;
    private final RefusalMeters refusals;

    /**
     * @param sessionHeader the request header that names the client's session, for session affinity
     * @param refusals      counts the requests this step refuses (those from the head are {@link HttpEdge}'s)
     */
    public HttpApi(ModelCatalog catalog, String sessionHeader, RefusalMeters refusals) {
        this.openAi = new OpenAiApi(catalog);
        this.kserve = new KServeApi(catalog);
        this.sessionHeader = sessionHeader;
        this.refusals = refusals;
    }

    @Override
    public void process(Exchange exchange) {
        FullHttpRequest request = exchange.getIn(NettyHttpMessage.class).getHttpRequest();
        String method = request.method().name();
        exchange.setProperty(ExchangeProperties.API, Api.forPath(request.uri()));
        Tenant tenant = exchange.getProperty(ExchangeProperties.TENANT, Tenant.class);

        // bodies over the size limit never get here: HttpEdge refuses them (a batch job's line is as large as its
        // Kafka record may be)
        InferenceMessage read = read(tenant, method, request.uri(), forwardedHeaders(request),
                ByteBufUtil.getBytes(request.content()));
        ChannelHandlerContext client = exchange.getIn().getHeader(NettyConstants.NETTY_CHANNEL_HANDLER_CONTEXT,
                ChannelHandlerContext.class);
        InferenceMessage result = asAsked(read, tenant, request.headers().get(PRIORITY_HEADER),
                request.headers().get(VERSION_HEADER), request.headers().get(sessionHeader),
                client.channel().closeFuture());
        if (result instanceof ApiError refused) {
            refusals.refused(Protocol.HTTP, tenant, read instanceof InferenceRequest asked ? asked.model() : null,
                    refused);
        }
        exchange.getMessage().setBody(result);
        if (!(result instanceof InferenceRequest)) {
            exchange.setRouteStop(true);
        }
        // the request's record, which HttpEdge started from its head, goes along with it (hasAttr first: attr would
        // make the attribute on a connection without records)
        RequestRecord record = client.channel().hasAttr(HttpEdge.RECORD)
                ? client.channel().attr(HttpEdge.RECORD).getAndSet(null) : null;
        if (record != null) {
            exchange.setProperty(ExchangeProperties.RECORD, record);
            if (result instanceof InferenceRequest routed) {
                record.request(routed);
            }
        }
    }

    /**
     * A request read from any wire, as its client asks: of the class it asks for ({@link #PRIORITY_HEADER}; its
     * tenant's by default), of the version it pins ({@link #VERSION_HEADER}) unless it names one already, in its
     * session (or none), and stopped when {@code clientGone} completes. Anything but an {@link InferenceRequest} is
     * returned as it is, and so is the {@link ApiError} of an ask refused (400, or 403 above the tenant's class).
     * The asks ({@code priority}, {@code pinnedVersion}, {@code session}) are each null for none.
     */
    public static InferenceMessage asAsked(InferenceMessage read, Tenant tenant, String priority, String pinnedVersion,
            String session, Future<?> clientGone) {
        if (!(read instanceof InferenceRequest request)) {
            return read;
        }
        Object asked = tenant.classFor(priority);
        if (asked instanceof ApiError refused) {
            return refused;
        }
        if (pinnedVersion != null && request.version() == null) {
            if (!RequestPath.isSafeName(pinnedVersion.strip())) {
                return ApiError.badRequest(VERSION_HEADER + " must name a version: one path segment without '/',"
                        + " '..', '%', '?', '#', spaces or control characters.");
            }
            request = request.withVersion(pinnedVersion.strip());
        }
        return request.onConnection(session == null || session.isBlank() ? null : session, clientGone)
                .withPriority((Priority) asked);
    }

    /**
     * What a request for {@code uri} (path and query) comes to: an {@link InferenceRequest} for its model's route, or
     * what ilb answers itself (model lists, health, errors). Batch jobs are read here too.
     */
    public InferenceMessage read(Tenant tenant, String method, String uri, Map<String, String> headers, byte[] body) {
        QueryStringDecoder decoded = new QueryStringDecoder(uri);
        Object parsed = path(decoded);
        if (!(parsed instanceof RequestPath path)) {
            return (ApiError) parsed;
        }
        if (Api.forPath(decoded.rawPath()) == Api.KSERVE) {
            return kserve.handle(tenant, Protocol.HTTP, method, path, decoded.rawQuery(), headers, body);
        }
        if (isOpenAi(path)) {
            return openAi.handle(tenant, method, path, decoded.rawQuery(), headers, body);
        }
        return unknown(method, decoded.rawPath());
    }

    /**
     * What ilb can tell from a request's head, before its body is read ({@link HttpEdge}): a malformed or unknown
     * path, the wrong method, a KServe model that is unknown or not the tenant's. Null when the body may come.
     */
    public ApiError checkHead(Tenant tenant, String method, String uri) {
        QueryStringDecoder decoded = new QueryStringDecoder(uri);
        Object parsed = path(decoded);
        if (!(parsed instanceof RequestPath path)) {
            return (ApiError) parsed;
        }
        if (Api.forPath(decoded.rawPath()) == Api.KSERVE) {
            return kserve.checkHead(tenant, method, path);
        }
        return isOpenAi(path) ? openAi.checkHead(method, path) : unknown(method, decoded.rawPath());
    }

    /** The request's path, or the 400 for a malformed one. */
    private static Object path(QueryStringDecoder decoded) {
        try {
            return RequestPath.parse(decoded.rawPath());
        } catch (RequestPath.MalformedPath e) {
            return ApiError.badRequest("Malformed request path: " + e.getMessage() + ".");
        }
    }

    private static boolean isOpenAi(RequestPath path) {
        return path.get(0).equals("v1");
    }

    private static ApiError unknown(String method, String rawPath) {
        return ApiError.notFound("unknown_url", "Unknown request URL: " + method + " " + rawPath
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
