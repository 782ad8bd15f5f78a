package ilb.backend;

import java.util.concurrent.TimeUnit;
import java.util.function.DoubleConsumer;

/**
 * How fast a backend serves, as ilb measured it on its own requests: prefill time per prompt character and time per
 * output token, each at the load it was measured at (a backend slows as its batch fills); how long a request holds
 * its place in the batch; how many tokens responses have; and how far predictions from these were off. Moving
 * averages that forget with time (half of their weight in about 20 s), so that a backend that changes speed is
 * followed; one without a sample for {@value #FORGET_SECONDS} s is unknown again, so that a backend once found slow
 * is tried again rather than shunned for good. Every method takes the time explicitly; thread-safe.
 */
public final class ServiceProfile {

    /** How fast averages forget: a sample's weight falls to 1/e in this long. */
    private static final long MEMORY_NANOS = TimeUnit.SECONDS.toNanos(30);
    /** How long an average without a new sample is trusted. */
    private static final long FORGET_SECONDS = 15;
    private static final long FORGET_NANOS = TimeUnit.SECONDS.toNanos(FORGET_SECONDS);
    /** The least weight a new sample gets, so that a burst of samples at one instant still moves an average. */
    private static final double MIN_WEIGHT = 0.1;
    /** Fewer prediction errors than this are not yet a distribution worth trusting. */
    private static final int ERROR_SAMPLES = 5;
    /** A request's fixed cost, as characters of prompt: one block of the prefix cache ({@code PromptPrefix}). */
    private static final int FIXED_CHARS = 256;

    private final ByLoad prefillPerChar = new ByLoad();
    private final ByLoad tpot = new ByLoad();
    private final Average service = new Average();
    private final Average outputTokens = new Average();
    private final ErrorStats ttftError = new ErrorStats();
    private final ErrorStats tpotError = new ErrorStats();
    private volatile DoubleConsumer ttftErrors = ratio -> { };

    /**
     * A first token came after {@code prefillNanos} (less any wait for a place) for a prompt of {@code chars}
     * characters not in the server's prefix cache, with {@code load} requests in flight there, this one included.
     */
    public synchronized void prefilled(long prefillNanos, int chars, int load, long nowNanos) {
        prefillPerChar.add(load, Math.max(0, prefillNanos) / (double) promptUnits(chars), nowNanos);
    }

    /** Tokens came {@code nanosPerToken} apart while {@code batch} requests were in flight. */
    public synchronized void decoded(double nanosPerToken, int batch, long nowNanos) {
        tpot.add(batch, nanosPerToken, nowNanos);
    }

    /** A request held its place at the backend (no wait for one) for {@code nanos}, with {@code tokens} of output. */
    public synchronized void served(long nanos, long tokens, long nowNanos) {
        service.add(nanos, nowNanos);
        outputTokens.add(tokens, nowNanos);
    }

    /** Observed over predicted time to first token; it is also handed to the sink ({@link #onTtftError}). */
    public void ttftMissed(double ratio, long nowNanos) {
        synchronized (this) {
            ttftError.add(ratio, nowNanos);
        }
        ttftErrors.accept(ratio);
    }

    /** Observed over predicted time per output token. */
    public synchronized void tpotMissed(double ratio, long nowNanos) {
        tpotError.add(ratio, nowNanos);
    }

    /** Where each TTFT prediction's error goes as it is measured, e.g. a meter: one sink, the last one set. */
    public void onTtftError(DoubleConsumer sink) {
        this.ttftErrors = sink;
    }

    /** Predicted prefill of {@code chars} uncached prompt characters at {@code load} in flight; NaN if unmeasured. */
    public synchronized double prefillNanos(int chars, int load, long nowNanos) {
        return prefillPerChar.at(load, nowNanos) * promptUnits(chars);
    }

    /** Time per output token with {@code batch} requests in flight; NaN if unmeasured. */
    public synchronized double tpotNanos(int batch, long nowNanos) {
        return tpot.at(batch, nowNanos);
    }

    /** How long a request holds its place, first byte to last; NaN if unmeasured. */
    public synchronized double serviceNanos(long nowNanos) {
        return service.value(nowNanos);
    }

    /** Output tokens of a response; NaN if unmeasured. */
    public synchronized double outputTokens(long nowNanos) {
        return outputTokens.value(nowNanos);
    }

    /** How far TTFT predictions were off lately; {@link PredictionError#UNKNOWN} with too few samples. */
    public synchronized PredictionError ttftError(long nowNanos) {
        return ttftError.summary(nowNanos);
    }

    /** How far TPOT predictions were off lately; {@link PredictionError#UNKNOWN} with too few samples. */
    public synchronized PredictionError tpotError(long nowNanos) {
        return tpotError.summary(nowNanos);
    }

    /**
     * What prefill costs a prompt of {@code chars} uncached characters, in characters: a prompt costs at least
     * {@link #FIXED_CHARS} (a server has fixed costs per request, and an empty prompt is no free request).
     */
    private static long promptUnits(int chars) {
        return FIXED_CHARS + Math.max(0, chars);
    }

    /**
     * Prediction errors as a log-normal distribution: {@code ln(observed / predicted)} has mean {@code bias} and
     * standard deviation {@code spread}. NaN for both when there are too few samples.
     */
    public record PredictionError(double bias, double spread) {
        public static final PredictionError UNKNOWN = new PredictionError(Double.NaN, Double.NaN);

        public boolean known() {
            return !Double.isNaN(bias);
        }
    }

    /**
     * A moving average that forgets with time ({@link #MEMORY_NANOS}); NaN before its first sample and when its last
     * is older than {@link #FORGET_NANOS}.
     */
    private static final class Average {
        private double value = Double.NaN;
        private long stamp;
        /** Samples since it was last unknown. */
        private long samples;

        void add(double sample, long nowNanos) {
            if (Double.isNaN(value(nowNanos))) {
                value = sample;
                samples = 0;
            } else {
                double keep = (1 - MIN_WEIGHT) * Math.exp(-Math.max(0, nowNanos - stamp) / (double) MEMORY_NANOS);
                value = value * keep + sample * (1 - keep);
            }
            stamp = nowNanos;
            samples++;
        }

        double value(long nowNanos) {
            return nowNanos - stamp > FORGET_NANOS ? Double.NaN : value;
        }
    }

    /**
     * Averages by load, in buckets that double (1, 2-3, 4-7, ... requests in flight): what is asked at a load never
     * measured is answered from the nearest load that was, the lighter one on a tie, so that a backend is tried at
     * the next load before it is judged there.
     */
    private static final class ByLoad {
        private static final int BUCKETS = 8;
        private final Average[] buckets = new Average[BUCKETS];

        ByLoad() {
            for (int i = 0; i < BUCKETS; i++) {
                buckets[i] = new Average();
            }
        }

        void add(int load, double sample, long nowNanos) {
            buckets[bucket(load)].add(sample, nowNanos);
        }

        double at(int load, long nowNanos) {
            int home = bucket(load);
            for (int distance = 0; distance < BUCKETS; distance++) {
                double lighter = home - distance >= 0 ? buckets[home - distance].value(nowNanos) : Double.NaN;
                if (!Double.isNaN(lighter)) {
                    return lighter;
                }
                double heavier = home + distance < BUCKETS ? buckets[home + distance].value(nowNanos) : Double.NaN;
                if (!Double.isNaN(heavier)) {
                    return heavier;
                }
            }
            return Double.NaN;
        }

        private static int bucket(int load) {
            return Math.min(BUCKETS - 1, 31 - Integer.numberOfLeadingZeros(Math.max(1, load)));
        }
    }

    /** The log of observed over predicted, its mean and spread. */
    private static final class ErrorStats {
        private final Average mean = new Average();
        private final Average square = new Average();

        void add(double ratio, long nowNanos) {
            if (!(ratio > 0) || Double.isInfinite(ratio)) {
                return;
            }
            double log = Math.log(ratio);
            mean.add(log, nowNanos);
            square.add(log * log, nowNanos);
        }

        PredictionError summary(long nowNanos) {
            double bias = mean.value(nowNanos);
            if (Double.isNaN(bias) || mean.samples < ERROR_SAMPLES) {
                return PredictionError.UNKNOWN;
            }
            return new PredictionError(bias, Math.sqrt(Math.max(0, square.value - bias * bias)));
        }
    }
}
