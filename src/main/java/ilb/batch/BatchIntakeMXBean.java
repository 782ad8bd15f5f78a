package ilb.batch;

/**
 * The batch intake as operators see it in JMX and the console's Inference view ({@code ilb:type=BatchIntake}): jobs
 * waiting on Kafka, running, and what became of them since ilb started.
 */
public interface BatchIntakeMXBean {

    /** Jobs waiting on Kafka for ilb's consumer group, all requests topics; -1 while unknown. */
    long getLag();

    /** Jobs running now. */
    int getInFlight();

    /** The most jobs it runs at once now: it adapts to the pools' spare capacity. */
    int getLimit();

    long getResults();

    long getDeadLetters();

    long getRetries();

    /** Jobs turned away for want of spare capacity, to be taken again later. */
    long getDeferrals();
}
