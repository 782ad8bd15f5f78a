package ilb.backend;

/**
 * Peak-sensitive moving average of response latency (Finagle's peak EWMA): a sample above the average replaces it
 * at once, so a backend that turns slow is avoided immediately, while lower samples pull it down smoothly. Without
 * samples the estimate decays towards zero, so a backend that was slow once gets tried again.
 */
public final class LatencyEwma {

    private final double decayNanos;
    private double cost;
    private long stamp;

    public LatencyEwma(long decayNanos) {
        this.decayNanos = decayNanos;
    }

    public synchronized void observe(long latencyNanos, long nowNanos) {
        if (latencyNanos > cost) {
            cost = latencyNanos;
        } else {
            double w = weight(nowNanos);
            cost = cost * w + latencyNanos * (1 - w);
        }
        stamp = nowNanos;
    }

    /** The estimated latency in nanoseconds, decayed for the time since the last sample; 0 when nothing is known. */
    public synchronized double cost(long nowNanos) {
        return cost * weight(nowNanos);
    }

    private double weight(long nowNanos) {
        return Math.exp(-Math.max(0, nowNanos - stamp) / decayNanos);
    }
}
