package ilb.protocols.grpc;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import ilb.inference.HttpReply;
import ilb.inference.Protocol;
import ilb.protocols.KServeApi;
import ilb.protocols.RequestPath;
import ilb.routing.ModelCatalog;
import io.grpc.BindableService;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import org.apache.camel.CamelContext;

/**
 * {@code grpc.health.v1.Health} on the gRPC entry: service {@code ""} is ilb's readiness as REST's
 * {@code /v2/health/ready} answers it; each model, by its name and its aliases, is SERVING while a pool of it has a
 * backend in rotation, NOT_SERVING otherwise, and unknown once no route serves it. Brought up to date by
 * {@link #refresh}; watchers hear only of changes.
 */
final class GrpcHealth {

    private static final RequestPath READY = RequestPath.parse("/v2/health/ready");

    private final HealthStatusManager statuses = new HealthStatusManager();
    private final ModelCatalog catalog;
    private final KServeApi kserve;
    private final ServingModels serving;
    private final CamelContext context;
    private Set<String> named = Set.of();

    GrpcHealth(ModelCatalog catalog, ServingModels serving, CamelContext context) {
        this.catalog = catalog;
        this.kserve = new KServeApi(catalog);
        this.serving = serving;
        this.context = context;
    }

    BindableService service() {
        return statuses.getHealthService();
    }

    /** Sets every status from what ilb serves now. */
    synchronized void refresh() {
        boolean ready = kserve.handle(null, Protocol.GRPC, "GET", READY, null, Map.of(), new byte[0])
                instanceof HttpReply reply && reply.status() == 200;
        statuses.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES,
                ready ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
        Set<String> inRotation = serving.inRotation(context);
        Set<String> now = new HashSet<>();
        for (ModelCatalog.ServedModel model : catalog.models()) {
            ServingStatus status = inRotation.contains(model.name()) ? ServingStatus.SERVING
                    : ServingStatus.NOT_SERVING;
            now.add(model.name());
            now.addAll(model.aliases());
            statuses.setStatus(model.name(), status);
            model.aliases().forEach(alias -> statuses.setStatus(alias, status));
        }
        named.stream().filter(name -> !now.contains(name)).forEach(statuses::clearStatus);
        named = now;
    }

    /** Every service NOT_SERVING from now on: the server is going away. */
    synchronized void stop() {
        statuses.enterTerminalState();
    }
}
