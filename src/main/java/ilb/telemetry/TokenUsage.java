package ilb.telemetry;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import io.netty.buffer.ByteBuf;

/**
 * Counts the tokens of one response without parsing it: the {@code usage} object the server reports (OpenAI, vLLM,
 * TGI), or, for a stream that has none (the client did not ask for {@code stream_options.include_usage}), one
 * completion token per Server-Sent Event that carries generated text, as vLLM and TGI send them.
 * <p>
 * A stream is read event by event: an event split across network chunks is put together first. Not thread-safe: one
 * response's, read on the thread that has it.
 */
public final class TokenUsage {

    private static final byte[] USAGE = bytes("\"usage\"");
    private static final byte[] PROMPT = bytes("\"prompt_tokens\"");
    private static final byte[] COMPLETION = bytes("\"completion_tokens\"");
    private static final byte[] DATA = bytes("data:");
    /** Where generated text is, in a chat, completion or tool-call chunk. */
    private static final byte[][] GENERATED = {bytes("\"content\""), bytes("\"text\""), bytes("\"arguments\"")};
    /** Servers put usage at the end of a whole reply: look no further back than this. */
    private static final int REPLY_TAIL = 4096;
    /** An event longer than this is no token event (or no SSE at all): it is dropped, not kept growing. */
    private static final int MAX_EVENT = 1 << 16;

    private long prompt = -1;
    private long completion = -1;
    private long events;
    /** The stream's bytes since the end of its last whole event. */
    private byte[] pending = new byte[0];
    private int pendingLength;
    /** How far {@code pending} has been searched for the end of an event, so that it is not searched again. */
    private int searched;

    /** A whole reply body. */
    public void reply(byte[] body) {
        usage(body, Math.max(0, body.length - REPLY_TAIL), body.length);
    }

    /** One chunk of a stream, as it passes: read, not consumed. */
    public void chunk(ByteBuf chunk) {
        int length = chunk.readableBytes();
        if (pendingLength + length > pending.length) {
            pending = Arrays.copyOf(pending, Math.max(Math.max(256, pending.length * 2), pendingLength + length));
        }
        chunk.getBytes(chunk.readerIndex(), pending, pendingLength, length);
        pendingLength += length;
        int start = 0;
        for (int end = eventEnd(Math.max(start, searched)); end >= 0; end = eventEnd(start)) {
            event(start, end);
            start = end;
        }
        pendingLength -= start;
        System.arraycopy(pending, start, pending, 0, pendingLength);
        // the last byte may start a blank line the next chunk ends
        searched = Math.max(0, pendingLength - 2);
        if (pendingLength > MAX_EVENT) {
            pendingLength = 0;
            searched = 0;
        }
    }

    long promptTokens() {
        return Math.max(0, prompt);
    }

    /** Prompt and completion tokens, the prompt's {@code promptIfUnreported} when the server gave no usage. */
    public long total(long promptIfUnreported) {
        return (prompt >= 0 ? prompt : promptIfUnreported) + completionTokens();
    }

    /** From the server's usage when it gave one; else the events that carried generated text. */
    public long completionTokens() {
        return completion >= 0 ? completion : events;
    }

    /** The end (after its blank line) of the event starting at {@code from}, or -1 if it has not all come yet. */
    private int eventEnd(int from) {
        for (int i = from; i < pendingLength - 1; i++) {
            if (pending[i] == '\n' && (pending[i + 1] == '\n'
                    || pending[i + 1] == '\r' && i + 2 < pendingLength && pending[i + 2] == '\n')) {
                return i + (pending[i + 1] == '\n' ? 2 : 3);
            }
        }
        return -1;
    }

    private void event(int from, int end) {
        int data = indexOf(pending, DATA, from, end);
        if (data < 0) {
            return;
        }
        if (generatesText(data, end)) {
            events++;
        }
        usage(pending, data, end);
    }

    /** Whether the event has a non-empty generated-text field: not a role, finish or usage event. */
    private boolean generatesText(int from, int end) {
        for (byte[] field : GENERATED) {
            for (int at = indexOf(pending, field, from, end); at >= 0;
                 at = indexOf(pending, field, at + field.length, end)) {
                int value = afterColon(pending, at + field.length, end);
                if (value + 1 < end && pending[value] == '"' && pending[value + 1] != '"') {
                    return true;
                }
            }
        }
        return false;
    }

    /** Reads each {@code "usage": {...}} object in the range; a {@code "usage": null} is skipped. */
    private void usage(byte[] bytes, int from, int end) {
        for (int at = indexOf(bytes, USAGE, from, end); at >= 0; at = indexOf(bytes, USAGE, at + USAGE.length, end)) {
            int value = afterColon(bytes, at + USAGE.length, end);
            if (value >= end || bytes[value] != '{') {
                continue;
            }
            long p = number(bytes, PROMPT, value, end);
            long c = number(bytes, COMPLETION, value, end);
            if (p >= 0) {
                prompt = p;
            }
            if (c >= 0) {
                completion = c;
            }
        }
    }

    /** The number after {@code "name":}, or -1. */
    private static long number(byte[] bytes, byte[] name, int from, int end) {
        int at = indexOf(bytes, name, from, end);
        if (at < 0) {
            return -1;
        }
        long n = -1;
        for (int i = afterColon(bytes, at + name.length, end); i < end && bytes[i] >= '0' && bytes[i] <= '9'; i++) {
            n = Math.max(n, 0) * 10 + (bytes[i] - '0');
        }
        return n;
    }

    /** Where the value after a field name starts: past spaces, a colon and spaces; {@code end} if no colon. */
    private static int afterColon(byte[] bytes, int from, int end) {
        int i = skipSpaces(bytes, from, end);
        if (i >= end || bytes[i] != ':') {
            return end;
        }
        return skipSpaces(bytes, i + 1, end);
    }

    private static int skipSpaces(byte[] bytes, int from, int end) {
        int i = from;
        while (i < end && (bytes[i] == ' ' || bytes[i] == '\t')) {
            i++;
        }
        return i;
    }

    private static int indexOf(byte[] bytes, byte[] pattern, int from, int end) {
        outer:
        for (int i = from; i <= end - pattern.length; i++) {
            for (int j = 0; j < pattern.length; j++) {
                if (bytes[i + j] != pattern[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
