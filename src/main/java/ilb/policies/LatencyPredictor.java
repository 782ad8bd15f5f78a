package ilb.policies;

import java.util.List;
import java.util.function.DoubleBinaryOperator;

import ilb.backend.Backend;
import ilb.backend.BackendTelemetry;
import ilb.backend.ServiceProfile;
import ilb.inference.InferenceRequest;
import ilb.inference.PromptPrefix;

/**
 * Predicts how long a request would take at each candidate, from what each one's {@link ServiceProfile} measured,
 * its server's metrics when fresh, and the requests ahead of it there:
 * <ul>
 * <li>time to first token: the wait for a place in the batch (the requests queued ahead of it, what ilb has in
 * flight beyond the places its server runs at once ({@link Backend#places()}) and what the server says is waiting,
 * each worth one slot: a request's time at the backend over the places in its batch), plus the prefill of the part
 * of the prompt its prefix cache likely lacks, at the load it would run at;</li>
 * <li>time per output token, at the batch the request would join;</li>
 * <li>finish: time to first token plus the output tokens (the request's {@code max_tokens}, else the candidates'
 * mean output) at that pace.</li>
 * </ul>
 * What a backend has not measured (lately) is taken from its server's metrics, else from the other candidates: while
 * it has no request in flight, from the fastest of them, so that it gets tried; while it has, from the slowest, so
 * that it does not take every request before its first answer tells how fast it is. With nothing measured anywhere,
 * it is 0. Pure: the time is a parameter.
 */
final class LatencyPredictor {

    /** Output tokens assumed when the request does not say and no response was measured yet. */
    private static final double UNKNOWN_OUTPUT_TOKENS = 1;
    private static final double NANOS_PER_SECOND = 1e9;

    private LatencyPredictor() {
    }

    /**
     * A prediction per candidate, in their order.
     *
     * @param matched  per candidate, the prompt's leading blocks it likely holds in its prefix cache
     *                 ({@link PrefixIndex#matches})
     * @param joining  1 when the request is not in flight at the candidates yet, 0 when it already is (its place is
     *                 taken)
     */
    static Prediction[] predict(List<Backend> candidates, InferenceRequest request, int[] matched, int joining,
            long nowNanos) {
        Estimate[] own = new Estimate[candidates.size()];
        double outputSum = 0;
        int outputKnown = 0;
        for (int i = 0; i < own.length; i++) {
            own[i] = estimate(candidates.get(i), request, matched[i], joining, nowNanos);
            double output = candidates.get(i).profile().outputTokens(nowNanos);
            if (!Double.isNaN(output)) {
                outputSum += output;
                outputKnown++;
            }
        }
        // output length is the request's, not the backend's: the same for every candidate
        double output = request.maxTokens() > 0 ? request.maxTokens()
                : outputKnown > 0 ? outputSum / outputKnown : UNKNOWN_OUTPUT_TOKENS;
        Estimate fastest = Estimate.UNKNOWN;
        Estimate slowest = Estimate.UNKNOWN;
        for (Estimate estimate : own) {
            fastest = fastest.or(estimate, Math::min);
            slowest = slowest.or(estimate, Math::max);
        }
        Prediction[] predictions = new Prediction[own.length];
        for (int i = 0; i < own.length; i++) {
            Estimate estimate = own[i].or(own[i].load() <= 1 ? fastest : slowest, (mine, others) -> mine);
            predictions[i] = new Prediction(estimate.queued() * estimate.serviceNanos() / estimate.slots(),
                    estimate.prefillNanos(), estimate.tpotNanos(), output, estimate.uncachedChars(), estimate.load(),
                    estimate.batch(), estimate.measured());
        }
        return predictions;
    }

    /**
     * What a backend itself tells about the request: from its own measurements, else its server's metrics; NaN
     * where neither does.
     *
     * @param queued        requests that wait for a place before this one starts, this one included
     * @param slots         places in the batch that free up, one request's service time each
     * @param uncachedChars prompt characters the prefix cache likely lacks
     * @param load          requests in flight there with this one
     * @param batch         requests decoding with this one
     * @param measured      whether its time to first token rests on the backend's own measurements
     */
    private record Estimate(double queued, double slots, double prefillNanos, double tpotNanos, double serviceNanos,
            int uncachedChars, int load, int batch, boolean measured) {

        static final Estimate UNKNOWN = new Estimate(0, 1, Double.NaN, Double.NaN, Double.NaN, 0, 0, 0, false);

        /** This one, each time known in only one of the two taken from it, in both combined as {@code both} says. */
        Estimate or(Estimate other, DoubleBinaryOperator both) {
            return new Estimate(queued, slots, combine(prefillNanos, other.prefillNanos, both),
                    combine(tpotNanos, other.tpotNanos, both), combine(serviceNanos, other.serviceNanos, both),
                    uncachedChars, load, batch, measured);
        }

        private static double combine(double mine, double other, DoubleBinaryOperator both) {
            return Double.isNaN(mine) ? other : Double.isNaN(other) ? mine : both.applyAsDouble(mine, other);
        }
    }

    private static Estimate estimate(Backend backend, InferenceRequest request, int matchedBlocks, int joining,
            long nowNanos) {
        // a learned limit probing past its server's batch lets a request in that waits there: it goes only if that
        // is still its best choice
        int places = backend.places();
        int load = backend.inFlight() + joining;
        BackendTelemetry telemetry = backend.telemetry(nowNanos);
        double waiting = Double.isNaN(telemetry.waiting()) ? 0 : telemetry.waiting();
        double running = telemetry.running();
        int overLimit = Math.max(0, load - places);
        // the server's own queue (fed by other clients too) holds it up as well, and it waits behind all of it
        double queued = waiting > 0 ? waiting + Math.max(1, overLimit) : overLimit;
        // a server that queues has a full batch: its running requests are its places
        double slots = waiting > 0 && running >= 1 ? running : places;
        int batch = (int) Math.min(places, Math.max(load, Double.isNaN(running) ? 0 : running + joining));
        int uncached = Math.max(0, request.prefix().chars() - matchedBlocks * PromptPrefix.BLOCK_CHARS);
        ServiceProfile profile = backend.profile();
        double prefill = profile.prefillNanos(uncached, load, nowNanos);
        boolean measured = !Double.isNaN(prefill);
        return new Estimate(queued, slots,
                measured ? prefill : telemetry.ttftSeconds() * NANOS_PER_SECOND,
                orElse(profile.tpotNanos(batch, nowNanos), telemetry.tpotSeconds() * NANOS_PER_SECOND),
                orElse(profile.serviceNanos(nowNanos), telemetry.e2eSeconds() * NANOS_PER_SECOND),
                uncached, load, Math.max(1, batch), measured);
    }

    private static double orElse(double value, double otherwise) {
        return Double.isNaN(value) ? otherwise : value;
    }

    /**
     * What a request would see at one backend, in nanoseconds; NaN-free (what nobody knows is 0).
     *
     * @param waitNanos     until a place in the batch is free
     * @param prefillNanos  from taking a place to the first token
     * @param tpotNanos     per output token after the first
     * @param outputTokens  tokens it is expected to generate
     * @param uncachedChars prompt characters its prefix cache likely lacks
     * @param load          requests in flight there with it, when predicted
     * @param batch         requests decoding with it
     * @param measured      whether its time to first token rests on the backend's own measurements (its error is
     *                      then the predictor's, worth recording)
     */
    record Prediction(double waitNanos, double prefillNanos, double tpotNanos, double outputTokens,
            int uncachedChars, int load, int batch, boolean measured) {

        Prediction {
            waitNanos = orElse(waitNanos, 0);
            prefillNanos = orElse(prefillNanos, 0);
            tpotNanos = orElse(tpotNanos, 0);
        }

        double ttftNanos() {
            return waitNanos + prefillNanos;
        }

        double finishNanos() {
            return ttftNanos() + outputTokens * tpotNanos;
        }
    }
}
