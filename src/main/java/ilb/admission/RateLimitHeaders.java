package ilb.admission;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * OpenAI's {@code x-ratelimit-*} response headers, from what a tenant's limits said of a request: for requests
 * and for tokens a minute, each only when the tenant has that limit, the limit, what remains of it and when it is
 * whole again, as OpenAI writes them ({@code x-ratelimit-reset-tokens: 6m0s}), so that clients that pace
 * themselves by them work against ilb unchanged.
 */
public final class RateLimitHeaders {

    private RateLimitHeaders() {
    }

    /** The headers (lower-case names) for {@code verdict}; none for a tenant with neither limit. */
    public static Map<String, String> of(LimitStore.Verdict verdict) {
        Map<String, String> headers = new LinkedHashMap<>();
        window(headers, "requests", verdict.requests());
        window(headers, "tokens", verdict.tokens());
        return headers;
    }

    private static void window(Map<String, String> headers, String kind, LimitStore.Window window) {
        if (window != null) {
            headers.put("x-ratelimit-limit-" + kind, String.valueOf(window.limit()));
            headers.put("x-ratelimit-remaining-" + kind, String.valueOf(window.remaining()));
            headers.put("x-ratelimit-reset-" + kind, duration(window.resetMillis()));
        }
    }

    /**
     * A duration as OpenAI writes it (Go's {@code time.Duration}), to the millisecond: {@code 20ms}, {@code 1.2s},
     * {@code 6m0s}, {@code 1h0m0s}.
     */
    public static String duration(long millis) {
        if (millis <= 0) {
            return "0s";
        }
        if (millis < 1000) {
            return millis + "ms";
        }
        long hours = millis / 3_600_000;
        long minutes = millis / 60_000 % 60;
        long seconds = millis / 1000 % 60;
        long fraction = millis % 1000;
        StringBuilder text = new StringBuilder();
        if (hours > 0) {
            text.append(hours).append('h');
        }
        if (hours > 0 || minutes > 0) {
            text.append(minutes).append('m');
        }
        text.append(seconds);
        if (fraction > 0) {
            // 1.2s, 1.05s, 1.005s: Go leaves no trailing zeros
            String digits = String.format("%03d", fraction);
            text.append('.').append(digits.replaceFirst("0+$", ""));
        }
        return text.append('s').toString();
    }
}
