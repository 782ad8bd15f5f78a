package ilb.routing;

/**
 * One pool as operators see it in JMX and the console's Inference view ({@code ilb:type=Pool,name=<route id>}): the
 * model version its route serves and how full its backends are. Its backends are {@code ilb:type=Backend}; a
 * versioned pool's canary weight and shadow share are its {@code ilb:type=ModelVersion}'s.
 */
public interface PoolMXBean {

    /** The route's id. */
    String getName();

    String getModel();

    /** Other names clients may give the model. */
    String[] getAliases();

    /** "" for a model with one version. */
    String getVersion();

    /** production or experimental. */
    String getStage();

    /** Its selection policy, as its route file names it. */
    String getPolicy();

    /** Requests waiting for one of its backends. */
    int getQueued();

    /** What it has to serve (in flight and waiting) over the capacity of its backends in rotation, 0 to 1. */
    double getSaturation();

    int getInFlight();

    /** The capacity (configured or learned) of its backends in rotation. */
    int getCapacity();

    int getBackendsInRotation();

    /** Its backends' ids, lowest tier first. */
    String[] getBackends();
}
