package ilb.batch;

/**
 * How much of what a job brings (its custom_id, its line, an error quoting its model name) a result or dead-letter
 * record echoes, so that a dead letter always fits in Kafka's default record size (1 MiB) with room to spare: at
 * worst the line's {@value #LINE_CHARS} characters escaped six bytes each (384 KiB) and a few KiB beside.
 */
final class RecordBounds {

    /** The longest custom_id a job may have; a dead letter cuts a longer one (or a longer key) to it. */
    static final int CUSTOM_ID_CHARS = 512;
    /** An error message or header: enough to say why, even quoting a model name. */
    static final int MESSAGE_CHARS = 2048;
    /** A dead letter keeps this much of its job's line. */
    static final int LINE_CHARS = 64 * 1024;

    private RecordBounds() {
    }

    /** An error message, cut to {@value #MESSAGE_CHARS} characters with a mark that it was. */
    static String message(String message) {
        String cut = cut(message, MESSAGE_CHARS);
        return cut == message ? message : cut + " [...]";
    }

    /** At most {@code max} characters of {@code text} (null stays null), never half a surrogate pair. */
    static String cut(String text, int max) {
        if (text == null || text.length() <= max) {
            return text;
        }
        int end = Character.isHighSurrogate(text.charAt(max - 1)) ? max - 1 : max;
        return text.substring(0, end);
    }
}
