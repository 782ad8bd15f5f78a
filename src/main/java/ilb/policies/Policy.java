package ilb.policies;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import ilb.balancer.InferenceLoadBalancer;
import ilb.balancer.PoolOption;
import ilb.balancer.PoolOptions;
import ilb.balancer.SelectionPolicy;

/**
 * A selection policy a route file can name ({@code customLoadBalancer: {ref: "<name>?<option>=<value>&..."}}):
 * what it picks, the options it reads, and how one is made from a pool's spec.
 *
 * @param options its own options; a pool takes the balancer's ({@link InferenceLoadBalancer#OPTIONS}) besides
 */
public record Policy(String name, String picks, List<PoolOption> options, Function<PoolOptions, SelectionPolicy> make) {

    /**
     * The policy made from a pool's spec, once its options are checked: a wrong name or value fails with a message
     * naming the policy, the option and the value, before the policy reads any.
     */
    public SelectionPolicy of(PoolOptions options) {
        options.check(poolOptions());
        return make.apply(options);
    }

    /** Every option a pool of this policy may write: the balancer's, then its own. */
    public List<PoolOption> poolOptions() {
        List<PoolOption> all = new ArrayList<>(InferenceLoadBalancer.OPTIONS);
        all.addAll(options);
        return all;
    }
}
