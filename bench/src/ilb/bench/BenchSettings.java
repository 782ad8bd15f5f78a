package ilb.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the bench runs and how long.
 *
 * @param quick          shorter phases and fewer rates: a smoke check, not numbers to quote
 * @param repo           the project's root (routes/api.yaml, target/classes)
 * @param work           route files, configs and logs of the systems under test
 * @param results        tables, JSON and plots
 * @param ilbClasspath   ilb's runtime classpath, for its own JVM
 * @param earlier        another checkout of ilb, built by {@code bench/run --earlier} (its target/classes and
 *                       target/ilb.classpath), whose ilb a lineup's {@code ilb ... earlier} runs; null if none
 */
record BenchSettings(boolean quick, Path repo, Path work, Path results, String ilbClasspath, Path earlier) {

    /** These settings with the earlier checkout's routes, classes and classpath in place of this one's. */
    BenchSettings ofEarlierBuild() throws SystemUnavailable {
        Path classpath = earlier == null ? null : earlier.resolve("target/ilb.classpath");
        if (classpath == null || !Files.isRegularFile(classpath)) {
            throw new SystemUnavailable("no earlier build: run the bench with --earlier <checkout>");
        }
        try {
            return new BenchSettings(quick, earlier, work, results, Files.readString(classpath).trim(), null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code quickValue} in a quick run, else {@code full}. */
    <T> T pick(T quickValue, T full) {
        return quick ? quickValue : full;
    }
}
