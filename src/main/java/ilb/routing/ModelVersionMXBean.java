package ilb.routing;

/**
 * One version of a model as operators see it in JMX and the Hawtio console
 * ({@code ilb:type=ModelVersion,model=<name>,version=<version>}): its stage and share of the model's requests, and
 * the operations that change the share live, until its route file is next loaded.
 */
public interface ModelVersionMXBean {

    String getModel();

    String getVersion();

    /** The id of the route that serves it. */
    String getRoute();

    /** production or experimental. */
    String getStage();

    /** Its canary weight against the model's other versions; -1 while it has none. */
    int getWeight();

    /** The share (0 to 1) of the model's requests copied to it; above 0 it is a shadow version. */
    double getShadow();

    /** A new canary weight, 0 or more (0: only requests pinned to it). */
    void changeWeight(int weight);

    /** A new shadow share, 0 to 1 (0: no copies). */
    void changeShadow(double share);
}
