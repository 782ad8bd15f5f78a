package ilb.routing;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import ilb.inference.ApiError;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;

/**
 * Which route serves which model: every {@code from: model:<name>} route registers here when it starts, with its
 * aliases and version. A route that stops (a reload replaces it) leaves its names behind for a grace period:
 * requests that arrive meanwhile wait for the new route instead of failing, and go on as soon as it registers.
 */
public final class ModelCatalog {

    /** What a client can ask for: a model's name, its aliases and the versions its routes serve. */
    public record ServedModel(String name, List<String> aliases, List<String> versions) {
    }

    private record Departed(String name, List<String> aliases, long untilNanos) {
    }

    private record Parked(String name, String version, Exchange exchange, AsyncCallback callback,
            ScheduledFuture<?> timeout) {
    }

    private final ScheduledExecutorService timer;
    private final long graceMillis;
    /** model name → version ("" for a route without one) → the route's consumer */
    private final Map<String, Map<String, ModelConsumer>> routes = new HashMap<>();
    private final Map<String, String> aliases = new HashMap<>();
    private final Map<String, Departed> departed = new HashMap<>();
    private final List<Parked> parked = new ArrayList<>();

    public ModelCatalog(ScheduledExecutorService timer, long graceMillis) {
        this.timer = timer;
        this.graceMillis = graceMillis;
    }

    synchronized void register(ModelConsumer consumer) {
        String name = consumer.model();
        String version = consumer.version();
        if (aliases.containsKey(name)) {
            throw new IllegalStateException("model " + name + " is already an alias of " + aliases.get(name));
        }
        for (String alias : consumer.aliases()) {
            String owner = aliases.get(alias);
            if (routes.containsKey(alias) || (owner != null && !owner.equals(name))) {
                throw new IllegalStateException("alias " + alias + " of model " + name + " is taken");
            }
        }
        ModelConsumer existing = routes.computeIfAbsent(name, n -> new TreeMap<>()).putIfAbsent(version, consumer);
        if (existing != null && existing != consumer) {
            throw new IllegalStateException("model " + name + (version.isEmpty() ? "" : " version " + version)
                    + " is already served by route " + existing.getRouteId());
        }
        consumer.aliases().forEach(alias -> aliases.put(alias, name));
        departed.remove(name);
        unpark();
    }

    synchronized void unregister(ModelConsumer consumer) {
        Map<String, ModelConsumer> versions = routes.get(consumer.model());
        if (versions == null || !versions.remove(consumer.version(), consumer)) {
            return;
        }
        if (versions.isEmpty()) {
            routes.remove(consumer.model());
            aliases.values().removeIf(consumer.model()::equals);
            departed.put(consumer.model(), new Departed(consumer.model(), consumer.aliases(),
                    System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(graceMillis)));
        }
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
    public synchronized List<ServedModel> models() {
        List<ServedModel> models = new ArrayList<>();
        routes.keySet().stream().sorted().forEach(name -> {
            List<String> modelAliases = aliases.entrySet().stream().filter(e -> e.getValue().equals(name))
                    .map(Map.Entry::getKey).sorted().toList();
            List<String> versions = routes.get(name).keySet().stream().filter(v -> !v.isEmpty()).toList();
            models.add(new ServedModel(name, modelAliases, versions));
        });
        return models;
    }

    /**
     * Hands the exchange to the route serving the model (by its own name) and version, waits for one being
     * reloaded, or answers 404 with an {@link ApiError} body.
     */
    public void dispatch(String name, String version, Exchange exchange, AsyncCallback callback) {
        ModelConsumer consumer = null;
        boolean known;
        synchronized (this) {
            Map<String, ModelConsumer> versions = routes.get(name);
            known = versions != null;
            if (known) {
                consumer = pick(versions, version);
            } else if (departedNamed(name).isPresent()) {
                park(name, version, exchange, callback);
                return;
            }
        }
        // answered outside the lock: the rest of the route runs in these calls
        if (!known) {
            answer(exchange, callback, ApiError.notFound("model_not_found", "The model `" + name + "` does not exist."));
        } else if (consumer == null) {
            answer(exchange, callback, ApiError.notFound("model_version_not_found",
                    "Model `" + name + "` has no version `" + version + "`."));
        } else {
            consumer.process(exchange, callback);
        }
    }

    /** The route for the version asked for, else one that serves any version, else (no version asked) the newest. */
    private static ModelConsumer pick(Map<String, ModelConsumer> versions, String version) {
        if (version != null && versions.containsKey(version)) {
            return versions.get(version);
        }
        if (versions.containsKey("")) {
            return versions.get("");
        }
        if (version != null) {
            return null;
        }
        return versions.entrySet().stream().max(Map.Entry.comparingByKey(VERSION_ORDER)).orElseThrow().getValue();
    }

    private static final Comparator<String> VERSION_ORDER = (a, b) -> {
        try {
            return Long.compare(Long.parseLong(a), Long.parseLong(b));
        } catch (NumberFormatException e) {
            return a.compareTo(b);
        }
    };

    private Optional<Departed> departedNamed(String requested) {
        long now = System.nanoTime();
        departed.values().removeIf(d -> d.untilNanos() - now < 0);
        return departed.values().stream()
                .filter(d -> d.name().equals(requested) || d.aliases().contains(requested)).findFirst();
    }

    private void park(String name, String version, Exchange exchange, AsyncCallback callback) {
        long wait = departedNamed(name).map(d -> TimeUnit.NANOSECONDS.toMillis(d.untilNanos() - System.nanoTime()))
                .orElse(0L);
        Parked[] self = new Parked[1];
        ScheduledFuture<?> timeout = timer.schedule(() -> {
            synchronized (this) {
                if (!parked.remove(self[0])) {
                    return;
                }
            }
            answer(exchange, callback, ApiError.unavailable("model_unavailable",
                    "The route of model `" + name + "` is stopped.", 1));
        }, Math.max(1, wait), TimeUnit.MILLISECONDS);
        self[0] = new Parked(name, version, exchange, callback, timeout);
        parked.add(self[0]);
    }

    /** Sends on the parked requests whose model has a route again (called with the lock held). */
    private void unpark() {
        List<Parked> ready = new ArrayList<>();
        for (Iterator<Parked> it = parked.iterator(); it.hasNext(); ) {
            Parked p = it.next();
            if (routes.containsKey(p.name())) {
                it.remove();
                p.timeout().cancel(false);
                ready.add(p);
            }
        }
        // on another thread: the route registering now is still starting
        ready.forEach(p -> timer.execute(() -> dispatch(p.name(), p.version(), p.exchange(), p.callback())));
    }

    private static void answer(Exchange exchange, AsyncCallback callback, ApiError error) {
        exchange.getMessage().setBody(error);
        callback.done(false);
    }
}
