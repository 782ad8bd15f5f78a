package ilb.balancer;

/** Told when a pool's balancer starts and stops (its route starts, stops or is reloaded), e.g. to meter it. */
public interface PoolListener {

    /** @param pool the pool's route id */
    void started(String pool, InferenceLoadBalancer balancer);

    void stopped(String pool, InferenceLoadBalancer balancer);

    /** Tells each, in order. */
    static PoolListener all(PoolListener... listeners) {
        return new PoolListener() {
            @Override
            public void started(String pool, InferenceLoadBalancer balancer) {
                for (PoolListener listener : listeners) {
                    listener.started(pool, balancer);
                }
            }

            @Override
            public void stopped(String pool, InferenceLoadBalancer balancer) {
                for (PoolListener listener : listeners) {
                    listener.stopped(pool, balancer);
                }
            }
        };
    }
}
