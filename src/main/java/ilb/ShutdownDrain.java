package ilb;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import ilb.backend.Durations;
import ilb.protocols.Drainable;
import ilb.protocols.HttpEdge;
import ilb.routing.ModelCatalog;
import ilb.telemetry.ModelReadiness;
import org.apache.camel.CamelContext;
import org.apache.camel.Route;
import org.apache.camel.main.BaseMainSupport;
import org.apache.camel.main.MainListenerSupport;
import org.apache.camel.main.MainShutdownStrategy;
import org.apache.camel.main.MainSupport;
import org.apache.camel.spi.ShutdownStrategy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The order of a graceful stop (SIGTERM: Kubernetes deleting the pod, {@code bin/ilb drain}). On SIGTERM Camel Main's
 * shutdown hook ends Main's wait, and Main stops Camel at once: the HTTP entry's connections close with it, streams
 * in flight included, while load balancers and kube-proxy still send new requests here. Before Main stops Camel,
 * this
 * <ol>
 * <li>reports not ready ({@code /observe/health/ready} 503, KServe's {@code /v2/health/ready} and ServerReady, gRPC
 * health; liveness stays up), so that they stop sending here;</li>
 * <li>keeps serving for {@code ilb.shutdown.drainDelay}, the time they take to notice;</li>
 * <li>takes no new requests (HTTP: 503 {@code shutting_down}, connections closed as they fall idle; gRPC: GOAWAY,
 * new calls refused) and waits for those in flight, streams to their end, at most {@code camel.main.shutdownTimeout}
 * in all;</li>
 * </ol>
 * then lets Camel stop.
 */
final class ShutdownDrain extends MainListenerSupport {

    private static final Logger LOG = LoggerFactory.getLogger(ShutdownDrain.class);

    private long drainDelayMillis;
    private long shutdownTimeoutMillis;

    @Override
    public void beforeStart(BaseMainSupport main) {
        CamelContext context = main.getCamelContext();
        drainDelayMillis = Durations.millis(context.getPropertiesComponent().resolveProperty("ilb.shutdown.drainDelay")
                .orElse("5s"));
        ShutdownStrategy camelShutdown = context.getShutdownStrategy();
        shutdownTimeoutMillis = camelShutdown.getTimeUnit().toMillis(camelShutdown.getTimeout());
        // the shutdown hook lets the JVM end once Camel's shutdown timeout and the extra timeout have passed: both
        // phases here come first, so it must wait that much longer
        MainShutdownStrategy hook = ((MainSupport) main).getShutdownStrategy();
        hook.setExtraShutdownTimeout(hook.getExtraShutdownTimeout()
                + (int) TimeUnit.MILLISECONDS.toSeconds(drainDelayMillis + shutdownTimeoutMillis + 999));
    }

    @Override
    public void beforeStop(BaseMainSupport main) {
        CamelContext context = main.getCamelContext();
        if (context == null || !context.isStarted()) {
            return;
        }
        context.getRegistry().lookupByNameAndType("ilbModelReadiness", ModelReadiness.class).shuttingDown();
        // KServe's /v2/health/ready and ServerReady, and gRPC's health service, say so too
        context.getRegistry().lookupByNameAndType("modelCatalog", ModelCatalog.class).shuttingDown();
        LOG.info("Draining: not ready from now (/observe/health/ready 503), serving {} ms more for load balancers to"
                + " notice", drainDelayMillis);
        try {
            // a pause of the main thread, which has nothing else to do: the event loops keep serving meanwhile
            TimeUnit.MILLISECONDS.sleep(drainDelayMillis);
            List<Drainable> entries = new ArrayList<>();
            entries.add(context.getRegistry().lookupByNameAndType("httpEdge", HttpEdge.class));
            context.getRoutes().stream().map(Route::getConsumer).filter(Drainable.class::isInstance)
                    .map(Drainable.class::cast).forEach(entries::add);
            entries.forEach(Drainable::drain);
            LOG.info("Draining: taking no new requests; waiting up to {} ms for those in flight", shutdownTimeoutMillis);
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(shutdownTimeoutMillis);
            for (Drainable entry : entries) {
                if (!entry.awaitDrained(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                    LOG.warn("Draining: requests still in flight after {} ms; stopping anyway", shutdownTimeoutMillis);
                    break;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
