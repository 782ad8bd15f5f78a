package ilb.telemetry;

import java.nio.charset.StandardCharsets;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * Counts the tokens of one response without parsing it: the {@code usage} object the server reports (OpenAI, vLLM,
 * TGI), or, for a stream that has none (the client did not ask for {@code stream_options.include_usage}), one
 * completion token per Server-Sent Event, as vLLM and TGI send them.
 */
final class TokenUsage {

    private static final byte[] USAGE = bytes("\"usage\"");
    private static final byte[] PROMPT = bytes("\"prompt_tokens\"");
    private static final byte[] COMPLETION = bytes("\"completion_tokens\"");
    private static final byte[] DATA = bytes("data:");
    private static final byte[] DONE = bytes("[DONE]");
    /** Servers put usage at the end of a whole reply: look no further back than this. */
    private static final int REPLY_TAIL = 4096;

    private long prompt = -1;
    private long completion = -1;
    private long events;

    /** A whole reply body. */
    void reply(byte[] body) {
        ByteBuf buf = Unpooled.wrappedBuffer(body);
        usage(buf, Math.max(0, body.length - REPLY_TAIL));
    }

    /** One chunk of a stream, as it passes: read, not consumed. */
    void chunk(ByteBuf chunk) {
        int start = chunk.readerIndex();
        int end = chunk.writerIndex();
        for (int at = indexOf(chunk, DATA, start, end); at >= 0; at = indexOf(chunk, DATA, at + DATA.length, end)) {
            if ((at == start || chunk.getByte(at - 1) == '\n') && !startsWith(chunk, skipSpaces(chunk,
                    at + DATA.length, end), DONE)) {
                events++;
            }
        }
        usage(chunk, start);
    }

    long promptTokens() {
        return Math.max(0, prompt);
    }

    /** From the server's usage when it gave one; else the events streamed (a usage chunk is one too). */
    long completionTokens() {
        return completion >= 0 ? completion : events;
    }

    /** Reads each {@code "usage": {...}} object at or after {@code from}; a {@code "usage": null} is skipped. */
    private void usage(ByteBuf buf, int from) {
        int end = buf.writerIndex();
        for (int at = indexOf(buf, USAGE, from, end); at >= 0; at = indexOf(buf, USAGE, at + USAGE.length, end)) {
            int value = skipSpaces(buf, at + USAGE.length, end);
            if (value < end && buf.getByte(value) == ':') {
                value = skipSpaces(buf, value + 1, end);
            }
            if (value >= end || buf.getByte(value) != '{') {
                continue;
            }
            long p = number(buf, PROMPT, value, end);
            long c = number(buf, COMPLETION, value, end);
            if (p >= 0) {
                prompt = p;
            }
            if (c >= 0) {
                completion = c;
            }
        }
    }

    /** The number after {@code "name":}, or -1. */
    private static long number(ByteBuf buf, byte[] name, int from, int end) {
        int at = indexOf(buf, name, from, end);
        if (at < 0) {
            return -1;
        }
        int i = skipSpaces(buf, at + name.length, end);
        if (i >= end || buf.getByte(i) != ':') {
            return -1;
        }
        i = skipSpaces(buf, i + 1, end);
        long n = -1;
        for (; i < end && buf.getByte(i) >= '0' && buf.getByte(i) <= '9'; i++) {
            n = Math.max(n, 0) * 10 + (buf.getByte(i) - '0');
        }
        return n;
    }

    private static int skipSpaces(ByteBuf buf, int from, int end) {
        int i = from;
        while (i < end && (buf.getByte(i) == ' ' || buf.getByte(i) == '\t')) {
            i++;
        }
        return i;
    }

    private static boolean startsWith(ByteBuf buf, int at, byte[] pattern) {
        if (at + pattern.length > buf.writerIndex()) {
            return false;
        }
        for (int i = 0; i < pattern.length; i++) {
            if (buf.getByte(at + i) != pattern[i]) {
                return false;
            }
        }
        return true;
    }

    private static int indexOf(ByteBuf buf, byte[] pattern, int from, int end) {
        for (int i = from; i <= end - pattern.length; i++) {
            if (buf.getByte(i) == pattern[0] && startsWith(buf, i, pattern)) {
                return i;
            }
        }
        return -1;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
