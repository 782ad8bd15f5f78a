package ilb.balancer;

/** Told when a pool's balancer starts and stops (its route starts, stops or is reloaded), e.g. to meter it. */
public interface PoolListener {

    /** @param pool the pool's route id */
    void started(String pool, InferenceLoadBalancer balancer);

    void stopped(String pool, InferenceLoadBalancer balancer);

    /** Tells both. */
    static PoolListener both(PoolListener first, PoolListener second) {
        return new PoolListener() {
            @Override
            public void started(String pool, InferenceLoadBalancer balancer) {
                first.started(pool, balancer);
                second.started(pool, balancer);
            }

            @Override
            public void stopped(String pool, InferenceLoadBalancer balancer) {
                first.stopped(pool, balancer);
                second.stopped(pool, balancer);
            }
        };
    }
}
