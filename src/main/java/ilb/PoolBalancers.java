package ilb;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;

import io.netty.util.Timer;

import ilb.balancer.BalancerSettings;
import ilb.balancer.InferenceLoadBalancer;
import ilb.balancer.PoolListener;
import ilb.balancer.PoolOptions;
import ilb.balancer.QueueObserver;
import ilb.balancer.RequestObserver;
import ilb.policies.Policies;
import ilb.policies.Policy;
import org.apache.camel.spi.BeanRepository;

/**
 * Answers a route's {@code customLoadBalancer: {ref: "<policy>?<options>"}} with a new balancer of its own for
 * that pool, so that the policy and its options are one line in the route file. Options are checked here: a typo
 * or a bad value fails the route with a message that says which.
 */
final class PoolBalancers implements BeanRepository {

    private final BalancerSettings settings;
    private final ScheduledExecutorService timer;
    private final Timer hedgeTimer;
    private final PoolListener listener;
    private final RequestObserver observer;
    private final QueueObserver queueObserver;

    PoolBalancers(BalancerSettings settings, ScheduledExecutorService timer, Timer hedgeTimer, PoolListener listener,
            RequestObserver observer, QueueObserver queueObserver) {
        this.settings = settings;
        this.timer = timer;
        this.hedgeTimer = hedgeTimer;
        this.listener = listener;
        this.observer = observer;
        this.queueObserver = queueObserver;
    }

    @Override
    public Object lookupByName(String name) {
        return lookupByNameAndType(name, Object.class);
    }

    @Override
    public <T> T lookupByNameAndType(String name, Class<T> type) {
        if (!type.isAssignableFrom(InferenceLoadBalancer.class)) {
            return null;
        }
        PoolOptions options = PoolOptions.parse(name);
        Policy policy = Policies.named(options.policy());
        if (policy == null) {
            // not a balancer spec: some other bean's name
            return null;
        }
        // the balancer makes its tiers' policies only when it starts: make one now, so that a wrong option or value
        // fails the route as it is read
        policy.of(options);
        InferenceLoadBalancer balancer = new InferenceLoadBalancer(() -> policy.of(options), options,
                settings, timer, hedgeTimer, listener, observer, queueObserver);
        return type.cast(balancer);
    }

    @Override
    public <T> Map<String, T> findByTypeWithName(Class<T> type) {
        return Map.of();
    }

    @Override
    public <T> Set<T> findByType(Class<T> type) {
        return Set.of();
    }
}
