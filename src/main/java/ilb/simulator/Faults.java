package ilb.simulator;

import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Fault injection, changeable while the backend runs (flags at start, {@code POST /sim/faults} later).
 * Probabilities are 0..1; {@code slowFactor} multiplies every latency; {@code batchLimit} (0: none) runs fewer sequences
 * at once than {@code max-num-seqs}, as a server does when another model takes part of its GPU's memory.
 */
public final class Faults {

    /** What the backend does with one request. */
    enum Action { SERVE, ERROR, RATE_LIMIT, HANG }

    volatile double errorRate;
    volatile int errorStatus = 500;
    volatile double rateLimitRate;
    volatile int retryAfterSeconds = 1;
    volatile double hangRate;
    volatile double slowFactor = 1.0;
    volatile int batchLimit;

    Action draw() {
        double r = ThreadLocalRandom.current().nextDouble();
        if (r < hangRate) {
            return Action.HANG;
        }
        if (r < hangRate + errorRate) {
            return Action.ERROR;
        }
        if (r < hangRate + errorRate + rateLimitRate) {
            return Action.RATE_LIMIT;
        }
        return Action.SERVE;
    }

    public Faults errorRate(double rate) {
        this.errorRate = rate;
        return this;
    }

    public Faults errorStatus(int status) {
        this.errorStatus = status;
        return this;
    }

    public Faults rateLimitRate(double rate) {
        this.rateLimitRate = rate;
        return this;
    }

    public Faults retryAfterSeconds(int seconds) {
        this.retryAfterSeconds = seconds;
        return this;
    }

    public Faults hangRate(double rate) {
        this.hangRate = rate;
        return this;
    }

    public Faults slowFactor(double factor) {
        this.slowFactor = factor;
        return this;
    }

    /** At most {@code limit} sequences in the batch from the next one admitted on; 0 lifts the limit. */
    public Faults batchLimit(int limit) {
        this.batchLimit = limit;
        return this;
    }

    /** Applies settings given by name, as in flags or the admin endpoint's query; unknown names are an error. */
    public Faults apply(Map<String, String> settings) {
        settings.forEach((name, value) -> {
            switch (name) {
                case "error-rate" -> errorRate(Double.parseDouble(value));
                case "error-status" -> errorStatus(Integer.parseInt(value));
                case "rate-limit-rate" -> rateLimitRate(Double.parseDouble(value));
                case "retry-after" -> retryAfterSeconds(Integer.parseInt(value));
                case "hang-rate" -> hangRate(Double.parseDouble(value));
                case "slow-factor" -> slowFactor(Double.parseDouble(value));
                case "batch-limit" -> batchLimit(Integer.parseInt(value));
                default -> throw new IllegalArgumentException("unknown fault setting: " + name);
            }
        });
        return this;
    }

    @Override
    public String toString() {
        return "{\"error-rate\":" + errorRate + ",\"error-status\":" + errorStatus + ",\"rate-limit-rate\":" + rateLimitRate
                + ",\"retry-after\":" + retryAfterSeconds + ",\"hang-rate\":" + hangRate + ",\"slow-factor\":" + slowFactor
                + ",\"batch-limit\":" + batchLimit + "}";
    }
}
