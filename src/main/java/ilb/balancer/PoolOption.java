package ilb.balancer;

/**
 * One option of a pool's balancer spec ({@code <policy>?<option>=<value>&...}), declared once by what reads it (a
 * policy, or the balancer for every pool): the spec is checked against these declarations, values are read through
 * them with their defaults, and the README's table of policy options is tested against them.
 *
 * @param defaultValue as it would be written in the spec
 */
public record PoolOption(String name, Kind kind, String defaultValue, String description) {

    /** What a value may be. */
    public enum Kind {
        /** A finite decimal number. */
        NUMBER,
        /** A length of time written as backend options are: {@code 500ms}, {@code 2s}, {@code 1m30s}, plain millis. */
        DURATION
    }

    public static PoolOption number(String name, String defaultValue, String description) {
        return new PoolOption(name, Kind.NUMBER, defaultValue, description);
    }

    public static PoolOption duration(String name, String defaultValue, String description) {
        return new PoolOption(name, Kind.DURATION, defaultValue, description);
    }
}
