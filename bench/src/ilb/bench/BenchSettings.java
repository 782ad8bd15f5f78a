package ilb.bench;

import java.nio.file.Path;

/**
 * Where the bench runs and how long.
 *
 * @param quick          shorter phases and fewer rates: a smoke check, not numbers to quote
 * @param repo           the project's root (routes/api.yaml, target/classes)
 * @param work           route files, configs and logs of the systems under test
 * @param results        tables, JSON and plots
 * @param ilbClasspath   ilb's runtime classpath, for its own JVM
 */
record BenchSettings(boolean quick, Path repo, Path work, Path results, String ilbClasspath) {

    /** {@code quickValue} in a quick run, else {@code full}. */
    <T> T pick(T quickValue, T full) {
        return quick ? quickValue : full;
    }
}
