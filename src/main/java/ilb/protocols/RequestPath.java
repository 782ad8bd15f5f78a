package ilb.protocols;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.util.ArrayList;
import java.util.List;

import static java.nio.charset.StandardCharsets.UTF_8;

/**
 * A request path split into its segments, each percent-decoded exactly once, as strictly as a model server would
 * want it: a broken escape or bytes that are not UTF-8 make the whole path malformed. Model names and versions that
 * go into a backend's request line must also be {@linkplain #isSafeName safe names}.
 */
public record RequestPath(List<String> segments) {

    /** The most characters of a model name or version: longer ones are no one's. */
    private static final int MAX_NAME_CHARS = 256;

    /** Thrown for a path that cannot be read; its message says why, for a 400. */
    public static final class MalformedPath extends IllegalArgumentException {
        MalformedPath(String message) {
            super(message, null);
        }
    }

    /**
     * Splits a raw path (no query: {@code /v2/models/a%20b/infer}) at its slashes and decodes each segment once; a
     * {@code +} stays a plus (it means a space only in query strings).
     */
    public static RequestPath parse(String rawPath) {
        if (rawPath.isEmpty() || rawPath.charAt(0) != '/') {
            throw new MalformedPath("the path must start with '/'");
        }
        List<String> segments = new ArrayList<>(6);
        int start = 1;
        while (start <= rawPath.length()) {
            int slash = rawPath.indexOf('/', start);
            int end = slash < 0 ? rawPath.length() : slash;
            segments.add(decode(rawPath, start, end));
            start = end + 1;
        }
        return new RequestPath(List.copyOf(segments));
    }

    /** The path's segments from {@code from} on, as one path (for the parts ilb answers itself, like model ids). */
    public String rest(int from) {
        return String.join("/", segments.subList(Math.min(from, segments.size()), segments.size()));
    }

    public int size() {
        return segments.size();
    }

    public String get(int index) {
        return segments.get(index);
    }

    /**
     * Whether a model name or version may be put into a backend's request path as one segment, as it is: not empty,
     * at most 256 characters, not {@code .}, no {@code ..}, and only printable ASCII other than {@code / \ % ? # ;}
     * (nothing that a path, a query, a decoder or the request line would read as something else).
     */
    public static boolean isSafeName(String name) {
        if (name == null || name.isEmpty() || name.length() > MAX_NAME_CHARS || name.equals(".")
                || name.contains("..")) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c <= ' ' || c >= 0x7f || "/\\%?#;".indexOf(c) >= 0) {
                return false;
            }
        }
        return true;
    }

    private static String decode(String raw, int start, int end) {
        if (raw.indexOf('%', start) < 0 || raw.indexOf('%', start) >= end) {
            return raw.substring(start, end);
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(end - start);
        for (int i = start; i < end; i++) {
            char c = raw.charAt(i);
            if (c != '%') {
                byte[] plain = String.valueOf(c).getBytes(UTF_8);
                bytes.write(plain, 0, plain.length);
                continue;
            }
            if (i + 2 >= end) {
                throw new MalformedPath("a '%' escape in the path is cut short");
            }
            int high = Character.digit(raw.charAt(i + 1), 16);
            int low = Character.digit(raw.charAt(i + 2), 16);
            if (high < 0 || low < 0) {
                throw new MalformedPath("'%" + raw.charAt(i + 1) + raw.charAt(i + 2)
                        + "' in the path is not a percent-escape");
            }
            bytes.write(high << 4 | low);
            i += 2;
        }
        try {
            return UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes.toByteArray())).toString();
        } catch (CharacterCodingException e) {
            throw new MalformedPath("the path's escapes are not UTF-8");
        }
    }
}
