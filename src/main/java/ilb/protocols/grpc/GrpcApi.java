package ilb.protocols.grpc;

import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import ilb.admission.Tenant;
import ilb.inference.ApiError;
import ilb.inference.ExchangeProperties;
import ilb.inference.InferenceMessage;
import ilb.inference.InferenceRequest;
import ilb.inference.Protocol;
import ilb.protocols.HttpApi;
import ilb.protocols.KServeApi;
import ilb.protocols.RequestPath;
import ilb.routing.ModelCatalog;
import ilb.telemetry.RefusalMeters;
import ilb.telemetry.RequestRecord;
import ilb.telemetry.RequestRecords;
import io.grpc.Metadata;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

/**
 * The gRPC entry route's step after the {@code kserve-grpc:} consumer, as {@link HttpApi} is the HTTP route's: reads
 * a {@link GrpcCall} as the KServe v2 REST request it stands for ({@link KServeRpc}), its message the body, and
 * leaves an {@link InferenceRequest} for {@code model:*}, or what ilb answers itself (server health and metadata,
 * every error), which ends the route.
 * <p>
 * Metadata asks what HTTP headers ask: {@code x-ilb-priority}, {@code x-ilb-model-version}, the session
 * ({@code ilb.http.sessionHeader}); {@code x-request-id}, {@code traceparent} and {@code tracestate} go on to the
 * backend.
 */
public final class GrpcApi implements Processor {

    /** Metadata passed on to backends as request headers; never the client's credentials. */
    private static final List<Metadata.Key<String>> FORWARDED = KServeGrpcCodec.FORWARDED_HEADERS.stream()
            .map(GrpcApi::key).toList();
    private static final Metadata.Key<String> PRIORITY = key(HttpApi.PRIORITY_HEADER);
    private static final Metadata.Key<String> VERSION = key(HttpApi.VERSION_HEADER);

    private final KServeApi kserve;
    private final Metadata.Key<String> session;
    private final RefusalMeters refusals;

    /**
     * @param sessionHeader the metadata key that names the client's session, for session affinity
     * @param refusals      counts the calls this step refuses (those for their key are {@link ApiKeyInterceptor}'s)
     */
    public GrpcApi(ModelCatalog catalog, String sessionHeader, RefusalMeters refusals) {
        this.kserve = new KServeApi(catalog);
        this.session = key(sessionHeader);
        this.refusals = refusals;
    }

    @Override
    public void process(Exchange exchange) {
        GrpcCall call = exchange.getMessage().getBody(GrpcCall.class);
        Tenant tenant = exchange.getProperty(ExchangeProperties.TENANT, Tenant.class);
        Metadata metadata = call.metadata();
        InferenceMessage read = read(tenant, call);
        InferenceMessage result = HttpApi.asAsked(read, tenant, metadata.get(PRIORITY), metadata.get(VERSION),
                metadata.get(session), call.cancelled());
        if (result instanceof ApiError refused) {
            refusals.refused(Protocol.GRPC, tenant, read instanceof InferenceRequest asked ? asked.model() : null,
                    refused);
        }
        exchange.getMessage().setBody(result);
        if (!(result instanceof InferenceRequest)) {
            exchange.setRouteStop(true);
        }
        RequestRecord record = RequestRecords.of(exchange);
        if (record != null && result instanceof InferenceRequest routed) {
            record.request(routed);
        }
    }

    /** What a call comes to: an {@link InferenceRequest} for its model's route, or what ilb answers itself. */
    InferenceMessage read(Tenant tenant, GrpcCall call) {
        KServeRpc rpc = call.rpc();
        String path;
        if (!rpc.namesModel()) {
            path = rpc.path(null, null);
        } else {
            Named named;
            try {
                named = Named.in(call.message());
            } catch (IOException e) {
                return ApiError.badRequest("the request is not a " + rpc.method().getBareMethodName()
                        + "Request message: " + e.getMessage());
            }
            if (named.model().isEmpty()) {
                return ApiError.badRequest("the request must name a model");
            }
            if (!RequestPath.isSafeName(named.model())
                    || !named.version().isEmpty() && !RequestPath.isSafeName(named.version())) {
                return ApiError.badRequest("model names and versions are at most 256 printable ASCII characters"
                        + " without '/', '\\', '..', '%', '?', '#', ';' or spaces");
            }
            path = rpc.path(named.model(), named.version());
        }
        return kserve.handle(tenant, Protocol.GRPC, rpc.httpMethod(), RequestPath.parse(path), null,
                forwarded(call.metadata()), call.message());
    }

    /**
     * The model and version (empty for none) a {@code ModelReadyRequest}, {@code ModelMetadataRequest} or
     * {@code ModelInferRequest} names: fields 1 and 2 of each.
     */
    record Named(String model, String version) {

        /** Read from the message; the rest of it is skipped, not copied. */
        static Named in(byte[] message) throws IOException {
            String[] fields = {"", ""};
            CodedInputStream in = CodedInputStream.newInstance(message);
            for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
                int field = WireFormat.getTagFieldNumber(tag);
                if (field <= 2 && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                    fields[field - 1] = in.readStringRequireUtf8();
                } else {
                    in.skipField(tag);
                }
            }
            return new Named(fields[0], fields[1]);
        }
    }

    private static Map<String, String> forwarded(Metadata metadata) {
        Map<String, String> headers = new HashMap<>(4);
        for (Metadata.Key<String> key : FORWARDED) {
            String value = metadata.get(key);
            if (value != null) {
                headers.put(key.name(), value);
            }
        }
        return headers;
    }

    private static Metadata.Key<String> key(String name) {
        return Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER);
    }
}
