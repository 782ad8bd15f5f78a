package ilb.balancer;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.function.Supplier;

import ilb.admission.Tenant;
import ilb.backend.Backend;
import ilb.backend.BackendGroup;
import ilb.backend.BackendEndpoint;
import ilb.backend.BackendTelemetry;
import ilb.backend.Lease;
import ilb.inference.ApiError;
import ilb.inference.BackendFailure;
import ilb.inference.BackendStream;
import ilb.inference.ExchangeProperties;
import ilb.inference.InferenceMessage;
import ilb.inference.InferenceRequest;
import ilb.telemetry.AttemptTrace;
import ilb.telemetry.RequestRecord;
import ilb.telemetry.RequestRecords;
import org.apache.camel.AsyncCallback;
import org.apache.camel.AsyncProcessor;
import org.apache.camel.Channel;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.processor.SendProcessor;
import org.apache.camel.processor.loadbalancer.LoadBalancerSupport;
import io.netty.util.Timeout;
import io.netty.util.Timer;
import org.apache.camel.support.DefaultExchange;
import org.apache.camel.support.SynchronizationAdapter;
import org.apache.camel.support.service.ServiceHelper;

/**
 * The custom load-balancer EIP ({@code customLoadBalancer} in a route file). Its children are {@code backend:}
 * endpoints; each request goes to the backend a {@link Selector} chooses from a snapshot of the pool: the lowest
 * tier that has a backend able to take it, chosen inside the tier by the pool's {@link SelectionPolicy}, among the
 * backends of ilb's own zone first, and with latency targets ({@link SloTargets}) one forecast to meet them.
 * <p>
 * A request that fails before its first byte reaches the client (connect error, reset, 502/503/504, 429) is tried
 * on another backend, within a {@link RetryBudget}. When every backend is merely full, the request waits in a
 * bounded {@link FairQueue} until one frees up: by class, then fairly between tenants by weight, each class for as
 * long as its {@link QueueTimeouts queue deadline}; a full queue sheds the lowest class first. Nothing blocks: the
 * request moves on whichever thread frees it.
 * <p>
 * A batch job ({@link Priority#BATCH}) only goes to a backend with {@link SpareCapacity}, never while interactive
 * requests wait, and is never queued: without spare capacity it is answered 503 {@code no_spare_capacity} at once,
 * and the batch consumer tries it again later. A shadow copy ({@link ExchangeProperties#SHADOW}) likewise never
 * waits and is tried once: without a free backend, or while requests wait, it is answered 503 at once.
 * <p>
 * A request whose backend has not answered (its first byte, a stream's first token) within its {@link HedgeDelay}
 * is also sent to the best other backend free at once, within the retry budget: the first to answer wins, and the
 * other attempt is called off ({@link AttemptCancel}). At most one hedge per request; batch jobs and shadow copies
 * never hedge; {@code hedgeAfter=0} turns hedging off.
 */
public class InferenceLoadBalancer extends LoadBalancerSupport {

    /** The pool's time-to-first-token target; read by the balancer and by {@code predicted-latency}. */
    public static final PoolOption SLO_TTFT = PoolOption.duration("sloTtft", "0", "latency target: time to first"
            + " token; backends forecast to miss it are passed over, to the next tier (0: none)");
    public static final PoolOption SLO_TPOT = PoolOption.duration("sloTpot", "0", "latency target: time per output"
            + " token, as sloTtft (0: none)");
    /** The default is well past a healthy server's time to first token. */
    public static final PoolOption HEDGE_AFTER = PoolOption.duration("hedgeAfter", "250ms", "the least delay"
            + " before a request not answered yet is also sent to another backend (0: never)");
    /** The options of every pool, whatever its policy: read here. */
    public static final List<PoolOption> OPTIONS = List.of(SLO_TTFT, SLO_TPOT, HEDGE_AFTER);

    private final Supplier<SelectionPolicy> policies;
    private final BalancerSettings settings;
    private final SloTargets slo;
    private final Selector selector;
    private final FairQueue<Dispatch> waiting;
    private final Runnable drainOnRelease = this::drain;
    /** The tiers' numbers, lowest first, and the policy of each: fixed while the pool runs, whatever joins. */
    private List<Tier> tiers = List.of();
    private final IntFunction<SelectionPolicy> policyOfTier = tier -> tiers.get(tier).policy();
    /** The {@code backend:} endpoints, each with the processor that sends to it. */
    private Map<BackendEndpoint, AsyncProcessor> entries = Map.of();
    private final Runnable regroupOnChange = this::regroup;
    private volatile Members members = Members.NONE;
    private final ScheduledExecutorService timer;
    private final Timer hedgeTimer;
    private final PoolListener listener;
    private final RequestObserver observer;
    private final QueueObserver queueObserver;
    /** The least delay before a request is hedged, the pool's {@code hedgeAfter}; 0: never hedged. */
    private final long hedgeAfterMillis;
    private RetryBudget budget;
    /** The policy's name in the route file, for operators. */
    private final String policy;

    /** One priority level and the policy that picks among its backends. */
    private record Tier(int number, SelectionPolicy policy) {
    }

    /**
     * The pool's backends now: those serving, tier by tier, as a snapshot takes them, and for each backend, leaving
     * ones too (their requests in flight finish), the processor that sends to it, its tier's policy and its hedge
     * delays. Replaced as a whole when a group found by DNS changes.
     */
    private record Members(List<List<Backend>> tiers, Map<Backend, AsyncProcessor> processors,
            Map<Backend, SelectionPolicy> policyOf, Map<Backend, HedgeDelays> hedgeDelays) {
        static final Members NONE = new Members(List.of(), Map.of(), Map.of(), Map.of());

        List<Backend> serving() {
            return tiers.stream().flatMap(List::stream).toList();
        }
    }

    /** A backend's hedge delays: a stream answers at its first token, a whole reply at its end. */
    private record HedgeDelays(HedgeDelay streamed, HedgeDelay whole) {
        HedgeDelay of(InferenceRequest request) {
            return request.stream() ? streamed : whole;
        }
    }

    /** Where an attempt's answer leaves it when its request was hedged. */
    private enum Standing {
        /** No other attempt is running: its answer is handled as any. */
        ALONE,
        /** It answered first: the other attempt is called off. */
        WON,
        /** It failed while the other attempt may still answer: that one decides. */
        WAITS,
        /** The other answered first: this one was called off. */
        LOST
    }

    /** The outcome of looking for a backend: a lease, or none and why ({@link Selector.Choice}). */
    private record Selection(Lease lease, Selector.Choice choice) {

        boolean busy() {
            return lease == null && choice.busy();
        }
    }

    /**
     * @param policies makes the selection policy of each tier
     * @param options  the pool's options: its latency targets and {@code hedgeAfter} are read here, the rest by its
     *                 policy
     * @param timer    runs queue timeouts; shared by all pools
     * @param hedgeTimer runs hedge delays, one for nearly every request and nearly all called off; shared by all pools
     * @param listener told when the balancer starts and stops
     * @param observer  told what each request came to
     * @param queueObserver told how long requests wait and which are shed
     */
    public InferenceLoadBalancer(Supplier<SelectionPolicy> policies, PoolOptions options, BalancerSettings settings,
            ScheduledExecutorService timer, Timer hedgeTimer, PoolListener listener, RequestObserver observer,
            QueueObserver queueObserver) {
        this.policies = policies;
        this.policy = options.policy();
        this.slo = SloTargets.from(options);
        this.hedgeAfterMillis = options.millis(HEDGE_AFTER);
        this.settings = settings;
        this.selector = new Selector(slo, new SpareCapacity(settings.batchReserve()), settings.zone(),
                settings.queueSize());
        this.timer = timer;
        this.hedgeTimer = hedgeTimer;
        this.listener = listener;
        this.observer = observer;
        this.queueObserver = queueObserver;
        this.waiting = new FairQueue<>(settings.queueSize());
    }

    /** Requests waiting for a backend with free capacity (or, with latency targets, for one on target). */
    public int queued() {
        synchronized (waiting) {
            return waiting.size();
        }
    }

    /** The name of its selection policy, as its route file gives it ({@code predicted-latency}). */
    public String policy() {
        return policy;
    }

    /** The pool's backends, every tier; not those leaving it. */
    public Collection<Backend> backends() {
        return members.serving();
    }

    /** How many of the pool's backends are in rotation ({@link Backend#inRotation}) now. */
    public int backendsInRotation() {
        long now = System.nanoTime();
        int inRotation = 0;
        for (Backend backend : backends()) {
            if (backend.inRotation(now)) {
                inRotation++;
            }
        }
        return inRotation;
    }

    /**
     * How full the pool is, 0 to 1: the requests it has to serve (in flight and waiting, here and in the backends'
     * own queues) over the capacity of the backends in rotation. The signal to scale the fleet by: it rises as
     * load grows and as backends drop out.
     */
    public double saturation() {
        long now = System.nanoTime();
        double capacity = 0;
        double busy = queued();
        for (Backend backend : backends()) {
            BackendState state = BackendState.of(backend, now);
            if (state.inRotation()) {
                capacity += state.limit();
            }
            // a server shared with others may hold more than ilb sent it
            BackendTelemetry telemetry = state.telemetry();
            double atServer = telemetry.waiting() + telemetry.running();
            busy += Double.isNaN(atServer) ? state.inFlight() : Math.max(state.inFlight(), atServer);
        }
        return capacity == 0 ? 1 : Math.min(1, busy / capacity);
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        Map<BackendEndpoint, AsyncProcessor> byEntry = new LinkedHashMap<>();
        Map<Integer, Tier> byNumber = new TreeMap<>();
        for (AsyncProcessor processor : getProcessors()) {
            BackendEndpoint endpoint = backendEndpoint(processor);
            ServiceHelper.startService(endpoint);
            byEntry.put(endpoint, processor);
            byNumber.computeIfAbsent(endpoint.getTier(), number -> new Tier(number, policies.get()));
        }
        entries = byEntry;
        tiers = List.copyOf(byNumber.values());
        budget = new RetryBudget(settings.retryPercent(), settings.retryMinPerSecond(), settings.retryMaxSaved());
        entries.keySet().forEach(endpoint -> endpoint.onGroupChange(regroupOnChange));
        regroup();
        listener.started(getRouteId(), this);
    }

    /**
     * Takes the backends each entry stands for now ({@link BackendEndpoint#group()}): at start, and whenever a group
     * found by DNS changes. A backend that joins starts with fresh hedge delays; one that leaves keeps its processor,
     * policy and hedge delays until it is removed, for its requests in flight.
     */
    private void regroup() {
        boolean changed;
        synchronized (this) {
            changed = takeMembers();
        }
        if (changed) {
            // a backend that joined may take what waits
            drain();
        }
    }

    /** @return whether the pool had members before (a change, not the start) */
    private boolean takeMembers() {
        Map<Integer, List<Backend>> serving = new TreeMap<>();
        tiers.forEach(tier -> serving.put(tier.number(), new ArrayList<>()));
        Map<Backend, AsyncProcessor> processors = new HashMap<>();
        Map<Backend, SelectionPolicy> policyOf = new HashMap<>();
        Map<Backend, HedgeDelays> hedgeDelays = new HashMap<>();
        Members before = members;
        entries.forEach((endpoint, processor) -> {
            Tier tier = tiers.stream().filter(t -> t.number() == endpoint.getTier()).findFirst().orElseThrow();
            BackendGroup group = endpoint.group();
            for (Backend backend : group.serving()) {
                if (processors.containsKey(backend)) {
                    throw new IllegalArgumentException("backend " + backend.id() + " appears twice in route "
                            + getRouteId());
                }
                serving.get(tier.number()).add(backend);
                processors.put(backend, processor);
            }
            for (Backend backend : concat(group.serving(), group.leaving())) {
                processors.put(backend, processor);
                policyOf.put(backend, tier.policy());
                HedgeDelays delays = before.hedgeDelays().get(backend);
                if (delays == null && hedgeAfterMillis > 0) {
                    long floor = TimeUnit.MILLISECONDS.toNanos(hedgeAfterMillis);
                    delays = new HedgeDelays(new HedgeDelay(floor), new HedgeDelay(floor));
                }
                if (delays != null) {
                    hedgeDelays.put(backend, delays);
                }
            }
        });
        processors.keySet().stream().filter(backend -> !before.processors().containsKey(backend))
                .forEach(backend -> backend.onRelease(drainOnRelease));
        before.processors().keySet().stream().filter(backend -> !processors.containsKey(backend))
                .forEach(backend -> backend.removeReleaseListener(drainOnRelease));
        members = new Members(serving.values().stream().map(List::copyOf).toList(), Map.copyOf(processors),
                Map.copyOf(policyOf), Map.copyOf(hedgeDelays));
        return before != Members.NONE;
    }

    private static List<Backend> concat(List<Backend> first, List<Backend> second) {
        List<Backend> both = new ArrayList<>(first);
        both.addAll(second);
        return both;
    }

    @Override
    protected void doStop() throws Exception {
        listener.stopped(getRouteId(), this);
        entries.keySet().forEach(endpoint -> endpoint.removeGroupListener(regroupOnChange));
        members.processors().keySet().forEach(backend -> backend.removeReleaseListener(drainOnRelease));
        answerTheQueue();
        super.doStop();
    }

    /**
     * The pool stops (its route reloaded, or ilb shutting down) with requests in its queue: it can send them nowhere
     * now (Camel has stopped its backends' processors, not counting queued requests in flight), so each is answered
     * {@link ApiError#poolStopped} at once, which the model's catalog sends to the route that replaces this one; not
     * left to meet its queue deadline.
     */
    private void answerTheQueue() {
        List<Dispatch> stranded = new ArrayList<>();
        synchronized (waiting) {
            waiting.forEach(stranded::add);
            stranded.forEach(waiting::remove);
        }
        stranded.forEach(Dispatch::poolStopped);
    }

    private static BackendEndpoint backendEndpoint(Processor processor) {
        Processor target = processor instanceof Channel channel ? channel.getNextProcessor() : processor;
        Endpoint endpoint = target instanceof SendProcessor send ? send.getDestination() : null;
        if (endpoint instanceof BackendEndpoint backendEndpoint) {
            return backendEndpoint;
        }
        throw new IllegalArgumentException("the children of an InferenceLoadBalancer must be backend: endpoints, not "
                + (endpoint != null ? endpoint.getEndpointUri() : target));
    }

    @Override
    public boolean process(Exchange exchange, AsyncCallback callback) {
        if (!(exchange.getMessage().getBody() instanceof InferenceRequest request)) {
            exchange.setException(new IllegalArgumentException("the balancer expects an InferenceRequest body, got "
                    + exchange.getMessage().getBody()));
            callback.done(true);
            return true;
        }
        Dispatch dispatch = new Dispatch(exchange, callback, request);
        if (dispatch.mayWaitAndRetry()) {
            // batch jobs and shadow copies neither earn nor spend retries here
            budget.deposit();
        }
        dispatch.next();
        return false;
    }

    /** The pool as it is now, for a {@link Selector} to choose from. */
    private PoolSnapshot snapshot() {
        return PoolSnapshot.of(members.tiers(), queued(), System.nanoTime());
    }

    /**
     * Leases the backend the selector chooses for the request; one that refuses the lease (another request took
     * its last place meanwhile, or its half-open breaker has enough probes in flight) counts as full, and the
     * selector chooses again.
     */
    private Selection select(Dispatch dispatch, PoolSnapshot pool) {
        Selector.Ask ask = dispatch.ask(System.nanoTime());
        while (true) {
            Selector.Choice choice = selector.decide(pool, ask, dispatch.tried, policyOfTier);
            if (choice.backend() == null) {
                return new Selection(null, choice);
            }
            Lease lease = choice.backend().tryAcquire();
            if (lease != null) {
                return new Selection(lease, choice);
            }
            pool = pool.withFull(choice.backend());
        }
    }

    /**
     * Sends queued requests to backends that have freed up, in the queue's order. A queued retry that only a backend
     * it already tried could take does not hold up the requests behind it.
     */
    private void drain() {
        while (true) {
            Dispatch ready = null;
            Selection selection = null;
            synchronized (waiting) {
                long now = System.nanoTime();
                // taken for the first request that looks, and shared by the rest: a release with none waiting
                // takes none
                PoolSnapshot pool = null;
                // whether a fresh request ahead found nothing, while holding out for a backend on target or not
                boolean busyHolding = false;
                boolean busyNotHolding = false;
                for (Iterator<Dispatch> it = waiting.iterator(); it.hasNext() && ready == null; ) {
                    Dispatch dispatch = it.next();
                    boolean fresh = dispatch.tried.isEmpty();
                    boolean holding = dispatch.mayHold(now);
                    if (fresh && (busyNotHolding || busyHolding && holding)) {
                        // a fresh request ahead of it found nothing, and it would ask no less: neither would this one
                        continue;
                    }
                    if (pool == null) {
                        pool = snapshot();
                    }
                    Selection found = select(dispatch, pool);
                    if (found.busy()) {
                        busyHolding |= fresh && holding;
                        busyNotHolding |= fresh && !holding;
                    } else {
                        ready = dispatch;
                        selection = found;
                    }
                }
                if (ready != null) {
                    waiting.serve(ready);
                    ready.leftQueue();
                }
            }
            if (ready == null) {
                return;
            }
            long served = System.nanoTime();
            queueObserver.waited(getRouteId(), ready.request.priority(), ready.tenant, served - ready.queuedNanos);
            if (ready.record != null) {
                ready.record.queued(ready.queuedNanos, served);
            }
            // out of the queue: 0 tells a later shed that it did not wait
            ready.queuedNanos = 0;
            ready.proceed(selection);
        }
    }

    /** One request's way through the pool: which backends it tried and what they said. */
    private final class Dispatch {
        private final Exchange exchange;
        private final AsyncCallback callback;
        private final InferenceRequest request;
        private final Set<Backend> tried = new HashSet<>(4);
        private final long arrivedNanos = System.nanoTime();
        /** The caller's tenant, for telemetry. */
        private final String tenant;
        /** The tenant's share of a saturated pool against the other tenants of the same class. */
        private final double weight;
        /** A shadow copy: never queued, never retried. */
        private final boolean shadow;
        /** Until when it may wait for a backend that meets the latency targets rather than take one that does not. */
        private final long holdUntilNanos;
        /** The backend of the answer the client gets. */
        private Backend last;
        private InferenceMessage lastResponse;
        /** The attempt that was hedged, and its hedge; guarded by this dispatch. */
        private Attempt hedged;
        private Attempt hedge;
        private ScheduledFuture<?> timeout;
        /** Looks again when its hold for a backend on target is over; null if it holds for none. */
        private ScheduledFuture<?> holdOver;
        private long queuedNanos;
        /** What the access log and the trace are told of the request; null while neither is on, and for a shadow. */
        private final RequestRecord record;

        Dispatch(Exchange exchange, AsyncCallback callback, InferenceRequest request) {
            this.exchange = exchange;
            this.callback = callback;
            this.request = request;
            Tenant caller = exchange.getProperty(ExchangeProperties.TENANT, Tenant.ANYONE, Tenant.class);
            this.tenant = caller.name();
            this.weight = caller.weight();
            this.shadow = exchange.getProperty(ExchangeProperties.SHADOW, false, Boolean.class);
            // a shadow copy's attempts are not the primary's
            this.record = shadow ? null : RequestRecords.of(exchange);
            // the wait ends before the queue's timeout would: then a backend off target serves, not a 503
            this.holdUntilNanos = arrivedNanos + (mayWaitAndRetry() ? TimeUnit.MILLISECONDS.toNanos(
                    Math.min(slo.holdMillis(), settings.queueTimeouts().millis(request.priority()) / 2)) : 0);
        }

        /**
         * Whether it may wait in the queue, and be tried on another backend when one fails: neither batch jobs (the
         * batch consumer waits and tries again) nor shadow copies.
         */
        boolean mayWaitAndRetry() {
            return request.priority().interactive() && !shadow;
        }

        boolean mayHold(long nowNanos) {
            return holdUntilNanos - nowNanos > 0;
        }

        Selector.Ask ask(long nowNanos) {
            return new Selector.Ask(request, shadow, mayHold(nowNanos));
        }

        void next() {
            if (!mayWaitAndRetry()) {
                // a batch job waits outside, in the batch consumer; a shadow copy is dropped
                Selection selection = select(this, snapshot());
                if (selection.busy()) {
                    if (shadow) {
                        shed(QueueObserver.Shed.NO_CAPACITY, ApiError.unavailable("overloaded", "no backend for model "
                                + request.model() + " is free for a shadow copy now", 1));
                    } else {
                        finish(lastResponse != null ? lastResponse : ApiError.unavailable("no_spare_capacity",
                                "no backend for model " + request.model() + " has capacity to spare for batch jobs now",
                                1));
                    }
                } else {
                    // a backend, or none at all (down, breakers open): answered as any request would be
                    proceed(selection);
                }
                return;
            }
            if (tried.isEmpty() && queued() > 0) {
                // others are waiting already: take a place behind them
                enqueue();
                return;
            }
            Selection selection = select(this, snapshot());
            if (selection.busy()) {
                enqueue();
            } else {
                proceed(selection);
            }
        }

        /** Sends the request where the selection says, or answers why it cannot go anywhere. */
        void proceed(Selection selection) {
            Lease lease = selection.lease();
            if (lease == null) {
                Selector.Choice none = selection.choice();
                finish(lastResponse != null ? lastResponse : ApiError.unavailable("no_healthy_backend",
                        "no backend for model " + request.model() + " can take the request now ("
                                + none.reason() + ")", (int) Math.ceil(none.coolingMillis() / 1000.0)));
            } else if (!tried.isEmpty() && !budget.tryWithdraw()) {
                lease.end(Lease.Outcome.EXCUSED);
                finish(lastResponse);
            } else {
                send(lease);
            }
        }

        private void enqueue() {
            boolean stopped;
            Dispatch shed = null;
            synchronized (waiting) {
                // a pool that stopped (a retry of a request in flight then) has nothing left to serve its queue
                stopped = !isRunAllowed();
                if (!stopped) {
                    shed = waiting.offer(this, request.priority(), tenant, weight);
                    if (shed != this) {
                        queuedNanos = System.nanoTime();
                        timeout = timer.schedule(this::expire, settings.queueTimeouts().millis(request.priority()),
                                TimeUnit.MILLISECONDS);
                        long holdLeft = holdUntilNanos - queuedNanos;
                        if (holdLeft > 0 && slo.any()) {
                            // when the wait is over, look again: a backend off target is better than none
                            holdOver = timer.schedule(InferenceLoadBalancer.this::drain, holdLeft,
                                    TimeUnit.NANOSECONDS);
                        }
                    }
                    if (shed != null && shed != this) {
                        shed.leftQueue();
                    }
                }
            }
            if (stopped) {
                poolStopped();
                return;
            }
            if (shed != null) {
                shed.shed(QueueObserver.Shed.QUEUE_FULL, ApiError.unavailable("overloaded", "every backend for model "
                        + shed.request.model() + " is busy and the wait queue is full (" + settings.queueSize()
                        + " waiting): lower classes, then tenants most over their share, are turned away first", 1));
            }
            if (shed != this) {
                // a place may have freed up while this request was looking
                drain();
            }
        }

        /** Out of the queue, served or shed: its timers are of no more use, and would hold up a shutdown. */
        private void leftQueue() {
            if (timeout != null) {
                timeout.cancel(false);
            }
            if (holdOver != null) {
                holdOver.cancel(false);
            }
        }

        /** Taken out of the queue of a pool that stops, or kept from it: handed back, neither served nor shed here. */
        private void poolStopped() {
            leftQueue();
            queueObserver.shed(getRouteId(), request.priority(), tenant, QueueObserver.Shed.POOL_STOPPED);
            exchange.getMessage().setBody(ApiError.poolStopped(request.model()));
            callback.done(false);
        }

        private void expire() {
            synchronized (waiting) {
                if (!waiting.remove(this)) {
                    return;
                }
            }
            if (holdOver != null) {
                holdOver.cancel(false);
            }
            shed(QueueObserver.Shed.DEADLINE, lastResponse != null ? lastResponse : ApiError.unavailable("overloaded",
                    "every backend for model " + request.model() + " stayed busy for "
                            + settings.queueTimeouts().millis(request.priority()) + " ms, the queue deadline of "
                            + request.priority().label() + " requests", 1));
        }

        /** Answered without a backend, for want of one free soon enough. */
        private void shed(QueueObserver.Shed reason, InferenceMessage answer) {
            queueObserver.shed(getRouteId(), request.priority(), tenant, reason);
            if (record != null && queuedNanos != 0) {
                // it waited in the queue until now
                record.queued(queuedNanos, System.nanoTime());
            }
            finish(answer);
        }

        /** Sends the request to the lease's backend; an attempt that may be hedged is hedged when it is slow. */
        void send(Lease lease) {
            boolean mayBeHedged = mayHedge();
            Attempt attempt = new Attempt(lease, mayBeHedged, tried.size() + 1, false);
            tried.add(lease.backend());
            // before the attempt starts: one that ends at once may free the last place of a backend leaving the pool
            HedgeDelays delays = mayBeHedged ? members.hedgeDelays().get(lease.backend()) : null;
            start(attempt);
            if (mayBeHedged) {
                long delay = delays.of(request).nanos(System.nanoTime());
                attempt.hedgeTimeout = hedgeTimer.newTimeout(due -> hedge(attempt), delay, TimeUnit.NANOSECONDS);
            }
        }

        private void start(Attempt attempt) {
            Backend backend = attempt.lease.backend();
            Members now = members;
            now.policyOf().get(backend).sent(request, backend);
            attempt.carrier.setProperty(ExchangeProperties.TARGET, backend);
            now.processors().get(backend).process(attempt.carrier, doneSync -> onResponse(attempt));
        }

        /**
         * Whether the next attempt may be hedged: hedging is on, the request may be retried, it has not been hedged
         * yet, and both the attempt and its hedge fit within its attempts and the pool's backends.
         */
        private boolean mayHedge() {
            return hedgeAfterMillis > 0 && mayWaitAndRetry() && hedge == null
                    && tried.size() + 2 <= settings.maxAttempts() && tried.size() + 2 <= members.processors().size();
        }

        /**
         * No first byte came from {@code slow} within its backend's hedge delay: sends the request to the best other
         * backend free now too, within the retry budget. Never ahead of requests waiting in the queue, and never to
         * wait there itself.
         */
        private void hedge(Attempt slow) {
            if (queued() > 0) {
                return;
            }
            Attempt second;
            synchronized (this) {
                if (slow.answered || hedge != null) {
                    return;
                }
                Lease lease = select(this, snapshot()).lease();
                if (lease == null) {
                    return;
                }
                if (!budget.tryWithdraw()) {
                    lease.end(Lease.Outcome.EXCUSED);
                    return;
                }
                second = new Attempt(lease, true, tried.size() + 1, true);
                tried.add(lease.backend());
                hedged = slow;
                hedge = second;
            }
            start(second);
        }

        private void onResponse(Attempt attempt) {
            attempt.over();
            Lease lease = attempt.lease;
            InferenceMessage response = attempt.response();
            if (attempt.trace != null) {
                attempt.trace.answered(response);
            }
            AttemptVerdict verdict = response == null ? null : AttemptVerdict.of(response);
            Standing standing = settle(attempt, verdict);
            if (standing == Standing.LOST) {
                drop(attempt, response, verdict);
                return;
            }
            if (standing == Standing.WON) {
                rivalOf(attempt).cancel.cancel();
            }
            // a failure while the other attempt may still answer: that one has the last word
            boolean rivalDecides = standing == Standing.WAITS;
            if (response == null) {
                lease.end(Lease.Outcome.EXCUSED);
                if (!rivalDecides) {
                    exchange.setException(attempt.carrier.getException());
                    callback.done(false);
                }
                return;
            }
            if (!rivalDecides) {
                last = lease.backend();
            }
            observer.answered(lease.backend(), request, tenant, lease.startNanos(), response);
            members.policyOf().get(lease.backend()).answered(request, lease.backend(), lease.startNanos(), response);
            learn(lease, verdict);
            if (response instanceof BackendStream stream) {
                lease.endWhenDone(stream);
                // the HTTP entry relays the stream before the exchange completes; if nothing did, end it there
                exchange.getExchangeExtension().addOnCompletion(new SynchronizationAdapter() {
                    @Override
                    public void onDone(Exchange done) {
                        stream.cancelIfUnsubscribed();
                    }
                });
                finish(stream);
                return;
            }
            lease.end(verdict.outcome());
            if (rivalDecides) {
                return;
            }
            if (verdict.retryElsewhere()) {
                retry(verdict.answer());
            } else {
                finish(verdict.answer());
            }
        }

        /**
         * Where an attempt's answer ({@code null}: it ended in an exception) leaves it against the other attempt of a
         * hedged request, if there is one.
         */
        private synchronized Standing settle(Attempt attempt, AttemptVerdict verdict) {
            attempt.answered = true;
            if (attempt.calledOff) {
                return Standing.LOST;
            }
            Attempt rival = rivalOf(attempt);
            if (rival == null || rival.answered) {
                return Standing.ALONE;
            }
            if (verdict != null && verdict.outcome().kind() == Lease.Outcome.Kind.SERVED) {
                rival.calledOff = true;
                return Standing.WON;
            }
            if (verdict != null) {
                // said to the client only if the other fails too; kept now, before the other can look
                last = attempt.lease.backend();
                lastResponse = verdict.answer();
            }
            return Standing.WAITS;
        }

        private Attempt rivalOf(Attempt attempt) {
            return attempt == hedge ? hedged : attempt == hedged ? hedge : null;
        }

        /**
         * The end of an attempt called off because the other answered first. Stopped before it answered, it counts
         * against its backend if it was the slow one (a frozen server is soon out of rotation), not if it was the
         * hedge; an answer that came anyway is judged as any, and a stream's connection closed. Its place is given
         * back either way.
         */
        private void drop(Attempt loser, InferenceMessage response, AttemptVerdict verdict) {
            Lease lease = loser.lease;
            if (response instanceof BackendFailure failure && failure.kind() == BackendFailure.Kind.CLIENT_GONE) {
                lease.end(loser == hedged ? Lease.Outcome.failed("no first byte within its hedge delay; another"
                        + " backend answered first") : Lease.Outcome.EXCUSED);
            } else if (response == null) {
                lease.end(Lease.Outcome.EXCUSED);
            } else {
                observer.answered(lease.backend(), request, tenant, lease.startNanos(), response);
                members.policyOf().get(lease.backend()).answered(request, lease.backend(), lease.startNanos(), response);
                learn(lease, verdict);
                lease.end(verdict.outcome());
                if (response instanceof BackendStream stream) {
                    stream.cancel();
                }
            }
        }

        /** What the backend meant to answer teaches its hedge delay how long it takes; failures do not. */
        private void learn(Lease lease, AttemptVerdict verdict) {
            HedgeDelays delays = members.hedgeDelays().get(lease.backend());
            if (delays != null && verdict.outcome().kind() == Lease.Outcome.Kind.SERVED) {
                long now = System.nanoTime();
                delays.of(request).answered(now - lease.startNanos(), now);
            }
        }

        /** @param answer what the client gets if no other backend answers instead */
        private void retry(InferenceMessage answer) {
            lastResponse = answer;
            if (tried.size() < settings.maxAttempts() && mayWaitAndRetry()) {
                next();
            } else {
                finish(answer);
            }
        }

        private void finish(InferenceMessage answer) {
            observer.finished(request, tenant, arrivedNanos, answer);
            exchange.getMessage().setBody(answer);
            if (last != null) {
                exchange.setProperty(ExchangeProperties.BACKEND, last.id());
            }
            exchange.setProperty(ExchangeProperties.ATTEMPTS, tried.size());
            if (hedge != null) {
                observer.hedged(getRouteId(), request, last == hedge.lease.backend());
            }
            callback.done(false);
        }

        /**
         * One try of the request at one backend. One that may race another (a hedge) runs on a copy of the exchange
         * and stops on a signal of its own ({@link AttemptCancel}): only the winner's answer reaches the exchange,
         * and the loser's backend call can be called off alone. {@code answered} and {@code calledOff} are guarded by
         * the dispatch.
         */
        private final class Attempt {
            private final Lease lease;
            private final Exchange carrier;
            /** Null for an attempt that races none: it stops when the client goes, as its request says. */
            private final AttemptCancel cancel;
            /** Its span, while the request is traced; else null. */
            private final AttemptTrace trace;
            private volatile Timeout hedgeTimeout;
            private boolean answered;
            private boolean calledOff;

            /** @param number its place among the request's attempts, from 1; {@code hedge}: it hedges another */
            Attempt(Lease lease, boolean racing, int number, boolean hedge) {
                this.lease = lease;
                trace = record == null ? null : record.attempt(lease.backend(), number, hedge);
                // under the attempt's trace context, when traced
                InferenceRequest sent = trace == null ? request : trace.sent(request);
                if (racing) {
                    cancel = new AttemptCancel(request);
                    // all the backend's producer reads: the request and its deadline (a full copy costs more)
                    carrier = new DefaultExchange(exchange.getContext());
                    carrier.setProperty(ExchangeProperties.DEADLINE_NANOS,
                            exchange.getProperty(ExchangeProperties.DEADLINE_NANOS));
                    carrier.getMessage().setBody(cancel.request(sent));
                } else {
                    cancel = null;
                    carrier = exchange;
                    carrier.getMessage().setBody(sent);
                }
            }

            /** What the backend answered; null if the attempt ended in an exception. */
            InferenceMessage response() {
                Object body = carrier.getMessage().getBody();
                return carrier.getException() == null && body instanceof InferenceMessage response ? response : null;
            }

            /** The backend call is over: it needs no hedge, nor to hear of the client going. */
            void over() {
                Timeout timeout = hedgeTimeout;
                if (timeout != null) {
                    timeout.cancel();
                }
                if (cancel != null) {
                    cancel.close();
                }
            }
        }
    }
}
