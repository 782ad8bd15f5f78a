package ilb.routing;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

import ilb.admission.Tenant;
import ilb.inference.Api;
import ilb.inference.ApiError;
import ilb.inference.ExchangeProperties;
import ilb.inference.InferenceRequest;
import ilb.telemetry.RefusalMeters;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which route serves which model: every {@code from: model:<name>} route registers here when it starts, with its
 * aliases, version, stage, canary weight and shadow share. A request goes to the version {@link VersionChoice}
 * picks, and a share of it is copied to the model's shadow versions. A route that stops (a reload replaces it)
 * leaves its names behind for a grace period: requests that arrive meanwhile and that only it could serve wait for
 * the new route instead of failing, and go on as soon as it registers.
 */
public final class ModelCatalog {

    private static final Logger LOG = LoggerFactory.getLogger(ModelCatalog.class);

    /** What a client can ask for: a model's name, its aliases and the versions its routes serve. */
    public record ServedModel(String name, List<String> aliases, List<String> versions) {
    }

    private record Departed(String name, List<String> aliases, long untilNanos) {
    }

    private record DepartedVersion(String model, VersionSettings settings, long untilNanos) {
    }

    private record Parked(String name, String version, Exchange exchange, AsyncCallback callback,
            ScheduledFuture<?> timeout) {
    }

    private static final VersionSettings ANY_VERSION = new VersionSettings("", Tenant.PRODUCTION, null, 0);

    private final ScheduledExecutorService timer;
    private final Executor copying;
    private final long graceMillis;
    /** model name → version ("" for a route without one), in {@link VersionChoice#VERSION_ORDER} → its consumer */
    private final Map<String, Map<String, ModelConsumer>> routes = new HashMap<>();
    private final Map<String, String> aliases = new HashMap<>();
    private final Map<String, Departed> departed = new HashMap<>();
    private final List<DepartedVersion> departedVersions = new ArrayList<>();
    private final List<Parked> parked = new ArrayList<>();
    /** The settings of each model's versions, in version order: replaced whole whenever a route or setting changes. */
    private volatile Map<String, List<VersionSettings>> versions = Map.of();
    private volatile boolean shuttingDown;
    /** Counts what {@link #dispatch} refuses; null until {@link #countRefusals} (tests of routing alone). */
    private volatile RefusalMeters refusals;

    /**
     * @param timer   parked requests' timeouts
     * @param copying sends shadow copies: a thread of their own, so that no copy delays a primary's timers, and a
     *                bounded queue, so that a backlog of copies is dropped rather than held
     */
    public ModelCatalog(ScheduledExecutorService timer, Executor copying, long graceMillis) {
        this.timer = timer;
        this.copying = copying;
        this.graceMillis = graceMillis;
    }

    synchronized void register(ModelConsumer consumer) {
        String name = consumer.model();
        String version = consumer.settings().version();
        if (aliases.containsKey(name)) {
            throw new IllegalStateException("model " + name + " is already an alias of " + aliases.get(name));
        }
        for (String alias : consumer.aliases()) {
            String owner = aliases.get(alias);
            if (routes.containsKey(alias) || (owner != null && !owner.equals(name))) {
                throw new IllegalStateException("alias " + alias + " of model " + name + " is taken");
            }
        }
        ModelConsumer existing = routes.computeIfAbsent(name, n -> new TreeMap<>(VersionChoice.VERSION_ORDER))
                .putIfAbsent(version, consumer);
        if (existing != null && existing != consumer) {
            throw new IllegalStateException("model " + name + (version.isEmpty() ? "" : " version " + version)
                    + " is already served by route " + existing.getRouteId());
        }
        consumer.aliases().forEach(alias -> aliases.put(alias, name));
        departed.remove(name);
        departedVersions.removeIf(d -> d.model().equals(name) && d.settings().version().equals(version));
        publish();
        unpark();
    }

    synchronized void unregister(ModelConsumer consumer) {
        Map<String, ModelConsumer> served = routes.get(consumer.model());
        if (served == null || !served.remove(consumer.settings().version(), consumer)) {
            return;
        }
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(graceMillis);
        departedVersions.add(new DepartedVersion(consumer.model(), consumer.settings(), until));
        if (served.isEmpty()) {
            routes.remove(consumer.model());
            aliases.values().removeIf(consumer.model()::equals);
            departed.put(consumer.model(), new Departed(consumer.model(), consumer.aliases(), until));
        }
        publish();
    }

    /** Changes a version's weight or shadow share, for as long as its route runs. */
    synchronized void retune(ModelConsumer consumer, UnaryOperator<VersionSettings> change) {
        VersionSettings before = consumer.settings();
        VersionSettings after = change.apply(before);
        consumer.settle(after);
        publish();
        LOG.info("model {} version {}: weight {} -> {}, shadow {} -> {}", consumer.model(), after.version(),
                before.weight(), after.weight(), before.shadow(), after.shadow());
    }

    /** The model's own name for a name or alias a client used, including models whose route is being reloaded. */
    public synchronized Optional<String> canonicalName(String requested) {
        if (routes.containsKey(requested)) {
            return Optional.of(requested);
        }
        if (aliases.containsKey(requested)) {
            return Optional.of(aliases.get(requested));
        }
        return departedNamed(requested).map(Departed::name);
    }

    /** The models ilb serves now, by name. */
    /** ilb is shutting down (ilb.ShutdownDrain): the APIs say they are not ready, and still serve. */
    public void shuttingDown() {
        shuttingDown = true;
    }

    public boolean isShuttingDown() {
        return shuttingDown;
    }

    public synchronized List<ServedModel> models() {
        List<ServedModel> models = new ArrayList<>();
        routes.keySet().stream().sorted().forEach(name -> {
            List<String> modelAliases = aliases.entrySet().stream().filter(e -> e.getValue().equals(name))
                    .map(Map.Entry::getKey).sorted().toList();
            List<String> served = routes.get(name).keySet().stream().filter(v -> !v.isEmpty()).toList();
            models.add(new ServedModel(name, modelAliases, served));
        });
        return models;
    }

    /**
     * Whether the tenant reaches a stage of the model (by its own name): models it does not are hidden from it.
     * A model without a route now (being reloaded) is not hidden.
     */
    public boolean reaches(Tenant tenant, String name) {
        List<VersionSettings> served = versions.get(name);
        return served == null || served.stream().anyMatch(v -> tenant.reaches(v.stage()));
    }

    /** Whether a model of that name is served (not an alias): a label value meters may show. */
    public boolean knows(String name) {
        return versions.containsKey(name);
    }

    /** Makes {@link #dispatch}'s refusals (unknown model or version, stage not reached, none running) counted. */
    public void countRefusals(RefusalMeters meters) {
        this.refusals = meters;
    }

    /**
     * The route that serves the model's version, else its route for any version, for meters: a version and stage ilb
     * knows, never a name a client made up (a production route for any version, for one that no longer runs).
     */
    public VersionSettings servingRoute(String name, String version) {
        return VersionChoice.serving(versions.getOrDefault(name, List.of()), version).orElse(ANY_VERSION);
    }

    /**
     * Hands the exchange (an {@link InferenceRequest}) to the route of the version that serves it (pinned by
     * {@code version}, or chosen), copies it to the shadow versions it draws, waits for a route being reloaded, or
     * answers with an {@link ApiError}: 404 for an unknown model or version, 403 for a stage the tenant does not
     * reach.
     */
    public void dispatch(String name, String version, Exchange exchange, AsyncCallback callback) {
        InferenceRequest request = exchange.getMessage().getBody(InferenceRequest.class);
        Tenant tenant = exchange.getProperty(ExchangeProperties.TENANT, Tenant.ANYONE, Tenant.class);
        ModelConsumer consumer = null;
        List<ModelConsumer> shadows = List.of();
        ApiError refused = null;
        synchronized (this) {
            Map<String, ModelConsumer> served = routes.get(name);
            OptionalLong reload = reloadDeadline(name, version, tenant);
            if (reload.isPresent()) {
                park(name, version, exchange, callback, reload.getAsLong());
                return;
            }
            if (served == null) {
                refused = ApiError.notFound("model_not_found", "The model `" + name + "` does not exist.");
            } else {
                List<VersionSettings> snapshot = versions.get(name);
                VersionChoice.Choice choice = VersionChoice.choose(name, snapshot, tenant, version,
                        VersionChoice.stickyKey(request, tenant,
                                exchange.getProperty(ExchangeProperties.CALLER, String.class)));
                if (choice instanceof VersionChoice.Serve serve) {
                    consumer = served.get(serve.version());
                    shadows = VersionChoice.shadows(snapshot, serve.version(), tenant, ThreadLocalRandom.current()::nextDouble)
                            .stream().map(served::get).toList();
                } else {
                    refused = ((VersionChoice.Refuse) choice).error();
                }
            }
        }
        // answered outside the lock: the rest of the route runs in these calls
        if (refused != null) {
            answer(exchange, callback, refused);
            return;
        }
        String chosen = consumer.settings().version();
        Api api = exchange.getProperty(ExchangeProperties.API, Api.class);
        // the version that serves: the route's own; for a route serving any version, a KServe path's (the backend
        // serves what the path names), never a header's (the backend would not know of it)
        String serving = !chosen.isEmpty() ? chosen : api == Api.KSERVE ? version : null;
        InferenceRequest primary = chosen.isEmpty() ? request : request.withVersion(chosen);
        if (serving != null) {
            exchange.setProperty(ExchangeProperties.MODEL_VERSION, serving);
        }
        exchange.getMessage().setBody(primary);
        consumer.process(exchange, doneSync -> {
            if (exchange.getMessage().getBody() instanceof ApiError error && error.isPoolStopped()) {
                // it waited in a pool whose route stopped: to the route that replaces it, or wait for one
                exchange.getMessage().setBody(request);
                dispatch(name, version, exchange, callback);
            } else {
                callback.done(doneSync);
            }
        });
        // only once the primary is on its way, and off its thread: a copy never delays or fails it
        for (ModelConsumer shadow : shadows) {
            try {
                copying.execute(() -> shadow.shadow(primary, tenant, api));
            } catch (RejectedExecutionException e) {
                // more copies waiting than the thread can send: this one is shed, as a sheddable request would be
                LOG.debug("shadow copy to {} dropped: {}", shadow.getRouteId(), e.getMessage());
            }
        }
    }

    /**
     * Until when a request must wait for a route that is being reloaded, if it must: its model has no route, or it
     * pins a version whose route (and no route for any version) is gone, or no route the tenant reaches is left; and
     * such a route left within the grace period.
     */
    private OptionalLong reloadDeadline(String name, String version, Tenant tenant) {
        Map<String, ModelConsumer> served = routes.get(name);
        if (served == null) {
            return departedNamed(name).map(d -> OptionalLong.of(d.untilNanos())).orElse(OptionalLong.empty());
        }
        long now = System.nanoTime();
        departedVersions.removeIf(d -> d.untilNanos() - now < 0);
        Predicate<VersionSettings> awaited;
        if (version != null) {
            if (served.containsKey(version) || served.containsKey("")) {
                return OptionalLong.empty();
            }
            awaited = v -> v.version().equals(version);
        } else {
            awaited = v -> !v.isShadow() && tenant.reaches(v.stage());
            if (versions.get(name).stream().anyMatch(awaited)) {
                return OptionalLong.empty();
            }
        }
        return departedVersions.stream().filter(d -> d.model().equals(name) && awaited.test(d.settings()))
                .mapToLong(DepartedVersion::untilNanos).max();
    }

    /** Makes the settings of every model's versions the ones requests see (called with the lock held). */
    private void publish() {
        Map<String, List<VersionSettings>> next = new HashMap<>();
        routes.forEach((name, served) -> next.put(name,
                served.values().stream().map(ModelConsumer::settings).toList()));
        versions = Map.copyOf(next);
    }

    private Optional<Departed> departedNamed(String requested) {
        long now = System.nanoTime();
        departed.values().removeIf(d -> d.untilNanos() - now < 0);
        return departed.values().stream()
                .filter(d -> d.name().equals(requested) || d.aliases().contains(requested)).findFirst();
    }

    private void park(String name, String version, Exchange exchange, AsyncCallback callback, long untilNanos) {
        long wait = TimeUnit.NANOSECONDS.toMillis(untilNanos - System.nanoTime());
        Parked[] self = new Parked[1];
        ScheduledFuture<?> timeout = timer.schedule(() -> {
            synchronized (this) {
                if (!parked.remove(self[0])) {
                    return;
                }
            }
            answer(exchange, callback, ApiError.unavailable("model_unavailable", "The route of model `" + name + "`"
                    + (version == null ? "" : " version `" + version + "`") + " is stopped.", 1));
        }, Math.max(1, wait), TimeUnit.MILLISECONDS);
        self[0] = new Parked(name, version, exchange, callback, timeout);
        parked.add(self[0]);
    }

    /** Sends on the parked requests that need not wait any more (called with the lock held). */
    private void unpark() {
        List<Parked> ready = new ArrayList<>();
        for (Iterator<Parked> it = parked.iterator(); it.hasNext(); ) {
            Parked p = it.next();
            Tenant tenant = p.exchange().getProperty(ExchangeProperties.TENANT, Tenant.ANYONE, Tenant.class);
            if (routes.containsKey(p.name()) && reloadDeadline(p.name(), p.version(), tenant).isEmpty()) {
                it.remove();
                p.timeout().cancel(false);
                ready.add(p);
            }
        }
        // on another thread: the route registering now is still starting
        ready.forEach(p -> timer.execute(() -> dispatch(p.name(), p.version(), p.exchange(), p.callback())));
    }

    private void answer(Exchange exchange, AsyncCallback callback, ApiError error) {
        RefusalMeters meters = refusals;
        if (meters != null) {
            InferenceRequest request = exchange.getMessage().getBody(InferenceRequest.class);
            meters.refused(request.protocol(), exchange.getProperty(ExchangeProperties.TENANT, Tenant.class),
                    request.model(), error);
        }
        exchange.getMessage().setBody(error);
        callback.done(false);
    }
}
