package ilb.policies;

import java.util.function.LongSupplier;

import ilb.backend.ServiceProfile;
import ilb.inference.BackendStream;
import ilb.inference.HttpReply;
import ilb.inference.InferenceMessage;
import ilb.policies.LatencyPredictor.Prediction;
import ilb.telemetry.TokenUsage;

/**
 * Measures a backend by what its answers show, against what was predicted when the request was sent: a stream's
 * first chunk gives its time to first token (and so the prefill time, less the predicted wait for a place), its end
 * the time per output token; a whole reply its time at the backend and its tokens. Only answers that served count.
 */
final class ProfileFeed {

    private ProfileFeed() {
    }

    /**
     * An attempt sent at {@code sentNanos} got {@code response}, just now: feeds {@code profile}, now and, for a
     * stream, when it ends. Never blocks.
     */
    static void answered(ServiceProfile profile, Prediction expected, long sentNanos, InferenceMessage response,
            LongSupplier clock) {
        long now = clock.getAsLong();
        if (response instanceof BackendStream stream && stream.status() / 100 == 2) {
            long ttft = now - sentNanos;
            firstToken(profile, expected, ttft, now);
            TokenUsage usage = new TokenUsage();
            stream.tap(usage::chunk);
            stream.whenDone(normally -> {
                if (normally) {
                    long end = clock.getAsLong();
                    streamEnded(profile, expected, ttft, end - now, usage.completionTokens(), end);
                }
            });
        } else if (response instanceof HttpReply reply && reply.status() / 100 == 2) {
            TokenUsage usage = new TokenUsage();
            usage.reply(reply.body());
            replied(profile, expected, now - sentNanos, usage.completionTokens(), now);
        }
    }

    /** The first token came {@code ttftNanos} after sending: the prefill, and how far its prediction was off. */
    static void firstToken(ServiceProfile profile, Prediction expected, long ttftNanos, long nowNanos) {
        profile.prefilled(atBackend(expected, ttftNanos), expected.uncachedChars(), expected.load(), nowNanos);
        if (expected.measured() && expected.ttftNanos() > 0) {
            profile.ttftMissed(ttftNanos / expected.ttftNanos(), nowNanos);
        }
    }

    /** The stream ended {@code decodeNanos} after its first token, with {@code tokens} output tokens in all. */
    static void streamEnded(ServiceProfile profile, Prediction expected, long ttftNanos, long decodeNanos,
            long tokens, long nowNanos) {
        if (tokens >= 2) {
            double tpot = decodeNanos / (double) (tokens - 1);
            profile.decoded(tpot, expected.batch(), nowNanos);
            if (expected.measured() && expected.tpotNanos() > 0) {
                profile.tpotMissed(tpot / expected.tpotNanos(), nowNanos);
            }
        }
        profile.served(atBackend(expected, ttftNanos) + decodeNanos, tokens, nowNanos);
    }

    /**
     * A whole reply came {@code durationNanos} after sending, with {@code tokens} output tokens: its time at the
     * backend, and, past the predicted prefill, its time per token.
     */
    static void replied(ServiceProfile profile, Prediction expected, long durationNanos, long tokens,
            long nowNanos) {
        long held = atBackend(expected, durationNanos);
        profile.served(held, tokens, nowNanos);
        double decode = held - expected.prefillNanos();
        if (tokens > 0 && expected.measured() && decode > 0) {
            profile.decoded(decode / tokens, expected.batch(), nowNanos);
        }
    }

    /** The time since sending, less the wait for a place that was predicted: what the backend spent on it. */
    private static long atBackend(Prediction expected, long sinceSentNanos) {
        return Math.max(0, sinceSentNanos - (long) expected.waitNanos());
    }
}
