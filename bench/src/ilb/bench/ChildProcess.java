package ilb.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** A process the bench starts (ilb, HAProxy, a simulated server), its output in a log file, stopped when the bench stops, even by Ctrl-C. */
final class ChildProcess implements AutoCloseable {

    private final Process process;
    private final Path log;
    private final Thread killOnExit;

    private ChildProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
        this.killOnExit = new Thread(process::destroyForcibly);
        Runtime.getRuntime().addShutdownHook(killOnExit);
    }

    static ChildProcess start(List<String> command, Path workDir, Path log) {
        return start(command, environment -> { }, workDir, log);
    }

    /** @param environment changes the environment the process inherits from the bench's (ilb's OTel variables) */
    static ChildProcess start(List<String> command, Consumer<Map<String, String>> environment, Path workDir,
            Path log) {
        try {
            Files.createDirectories(log.getParent());
            ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile())
                    .redirectErrorStream(true).redirectOutput(log.toFile());
            environment.accept(builder.environment());
            Process process = builder.start();
            return new ChildProcess(process, log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    boolean alive() {
        return process.isAlive();
    }

    /**
     * What went wrong, if the log has a line with any of the words: the root cause of a stack trace in the log (its
     * last "Caused by:"), else that line; null if there is none.
     */
    String failure(String... words) {
        List<String> lines;
        try {
            lines = Files.readAllLines(log);
        } catch (IOException e) {
            return null;
        }
        String failure = lines.stream().filter(line -> Arrays.stream(words).anyMatch(line::contains)).findFirst()
                .orElse(null);
        if (failure == null) {
            return null;
        }
        return lines.stream().filter(line -> line.startsWith("Caused by: ")).reduce((first, last) -> last)
                .map(cause -> cause.substring("Caused by: ".length())).orElse(failure).strip();
    }

    /** Sends it a signal by name ({@code STOP}, {@code CONT}) with {@code kill}, which Java's Process cannot. */
    void signal(String name) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + name, String.valueOf(process.pid())).inheritIO().start();
            if (!kill.waitFor(5, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** CPU time the process has used so far, all its threads together. */
    Duration cpuTime() {
        return process.toHandle().info().totalCpuDuration().orElseThrow();
    }

    Path log() {
        return log;
    }

    /** Asks it to stop (SIGTERM), and kills it if it has not within ten seconds. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        Runtime.getRuntime().removeShutdownHook(killOnExit);
    }
}
