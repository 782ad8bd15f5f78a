package ilb.telemetry;

import java.time.Instant;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * One line per request to the logger {@code ilb.access} ({@code ilb.accessLog=true}), written when its response has
 * ended: {@code key=value} words in the message, and the same fields as the event's key-value pairs, which a JSON
 * encoder writes as fields of their own. What a client chose freely is bounded ({@link RequestRecord}); never a key
 * or a prompt, which the record does not hold.
 */
public final class AccessLog {

    /** The logger operators route to a file or appender of its own. */
    public static final String LOGGER = "ilb.access";
    private static final Logger LOG = LoggerFactory.getLogger(LOGGER);

    void write(RequestRecord record) {
        if (!LOG.isInfoEnabled()) {
            return;
        }
        Line line = new Line(LOG.atInfo());
        line.add("time", Instant.ofEpochMilli(record.arrivedEpochMillis()).toString());
        line.add("request_id", record.requestId());
        line.add("entry", record.entry().label());
        line.add("tenant", record.tenant());
        line.add("model", record.model());
        line.add("version", record.version());
        line.add("priority", record.priority());
        line.add("stream", record.stream());
        line.add("status", record.status());
        line.add("outcome", record.outcome());
        line.add("backend", record.backend());
        line.add("attempts", record.attempts());
        line.add("queue_ms", record.queueWaitNanos() < 0 ? null : millis(record.queueWaitNanos()));
        line.add("ttft_ms", record.ttftNanos() < 0 ? null : millis(record.ttftNanos()));
        line.add("duration_ms", millis(record.durationNanos()));
        line.add("prompt_tokens", record.promptTokens() < 0 ? null : record.promptTokens());
        line.add("completion_tokens", record.completionTokens() < 0 ? null : record.completionTokens());
        line.log();
    }

    /** Milliseconds to a tenth. */
    private static String millis(long nanos) {
        long tenths = Math.round(nanos / 100_000.0);
        return tenths / 10 + "." + tenths % 10;
    }

    /** The text and the key-value pairs of one line, built together. */
    private static final class Line {
        private final LoggingEventBuilder event;
        private final StringBuilder text = new StringBuilder(256);

        Line(LoggingEventBuilder event) {
            this.event = event;
        }

        /** A missing value is "-" in the text and left out of the pairs. */
        void add(String key, Object value) {
            if (!text.isEmpty()) {
                text.append(' ');
            }
            text.append(key).append('=');
            if (value == null) {
                text.append('-');
                return;
            }
            event.addKeyValue(key, value);
            quoted(value.toString());
        }

        /** Bare unless it holds a space, a quote or nothing; then in quotes, escaped. */
        private void quoted(String value) {
            boolean bare = !value.isEmpty() && value.chars().noneMatch(c -> c == ' ' || c == '"' || c == '\\'
                    || c == '=');
            if (bare) {
                text.append(value);
                return;
            }
            text.append('"');
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                if (c == '"' || c == '\\') {
                    text.append('\\');
                }
                text.append(c);
            }
            text.append('"');
        }

        void log() {
            event.setMessage(text.toString()).log();
        }
    }
}
