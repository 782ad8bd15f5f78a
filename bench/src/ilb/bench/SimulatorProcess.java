package ilb.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A simulated server in a JVM of its own ({@code ilb.simulator.SimulatedBackend}'s main), so that it can be frozen as a
 * hung machine is: stopped by SIGSTOP, its port stays open and the kernel still accepts connections, but nothing
 * answers until SIGCONT.
 */
final class SimulatorProcess implements Fleet.Server {

    private final ChildProcess process;
    private final String url;

    private SimulatorProcess(ChildProcess process, String url) {
        this.process = process;
        this.url = url;
    }

    /** Starts it on a free port, its output in {@code log}, and returns once it answers a chat completion. */
    static SimulatorProcess start(BackendSpec spec, Path log, BenchSettings settings) {
        int port = SystemUnderTest.freePort();
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java, "-Xmx256m",
                "-cp", settings.repo().resolve("target/classes") + ":" + settings.ilbClasspath(),
                "ilb.simulator.SimulatedBackend"));
        command.addAll(List.of(spec.simulatorFlags(port)));
        ChildProcess process = ChildProcess.start(command, settings.repo(), log);
        SimulatorProcess server = new SimulatorProcess(process, "http://127.0.0.1:" + port);
        try {
            // a JVM takes a second or two to start
            SystemUnderTest.awaitReady(process, server.url, Duration.ofSeconds(30), "Exception");
            return server;
        } catch (SystemUnavailable e) {
            server.close();
            throw new IllegalStateException("simulated server did not start: " + e.getMessage(), e);
        }
    }

    @Override
    public String url() {
        return url;
    }

    /** Stops it (SIGSTOP) until {@link #thaw}. */
    void freeze() {
        process.signal("STOP");
    }

    /** Lets it go on (SIGCONT). */
    void thaw() {
        process.signal("CONT");
    }

    @Override
    public void close() {
        // a stopped process would take SIGTERM only once let go on
        if (process.alive()) {
            thaw();
        }
        process.close();
    }
}
