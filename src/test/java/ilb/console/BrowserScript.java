package ilb.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A Node script of src/test/browser, driving Debian's headless Chromium through playwright-core. Fails, never
 * skips, when Node.js or Chromium is missing: .ci/run installs them.
 */
final class BrowserScript {

    private static final Path DIR = Path.of("src", "test", "browser");
    private static final Path CHROMIUM = Path.of(System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium"));

    record Run(int exitCode, String output) {
    }

    private BrowserScript() {
    }

    /** Runs the script with the environment, its output into the log; gives up after a few minutes. */
    static Run run(String script, Map<String, String> environment, Path log) throws IOException, InterruptedException {
        assertThat(CHROMIUM).as("Debian's chromium (apt-get install chromium; .ci/run installs it)").isExecutable();
        assertThat(exitCode(List.of("node", "--version"), log))
                .as("Node.js on the PATH (the machine's node; .ci/run checks it)").isZero();
        if (!Files.isDirectory(DIR.resolve("node_modules/playwright-core"))) {
            assertThat(exitCode(List.of("npm", "ci", "--no-audit", "--no-fund"), log))
                    .as("npm ci in " + DIR + " (see " + log + ")").isZero();
        }
        ProcessBuilder node = new ProcessBuilder("node", script).directory(DIR.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        node.environment().put("CHROMIUM", CHROMIUM.toString());
        node.environment().putAll(environment);
        Process process = node.start();
        // a safety net, not a wait for something: each step of the script has its own deadline
        if (!process.waitFor(5, TimeUnit.MINUTES)) {
            process.destroyForcibly().waitFor();
            throw new AssertionError("the browser script did not finish: " + Files.readString(log));
        }
        return new Run(process.exitValue(), Files.readString(log));
    }

    private static int exitCode(List<String> command, Path log) throws IOException, InterruptedException {
        try {
            Process process = new ProcessBuilder(command).directory(DIR.toFile()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            return process.waitFor(5, TimeUnit.MINUTES) ? process.exitValue() : -1;
        } catch (IOException e) {
            // not installed
            Files.writeString(log, command.get(0) + ": " + e.getMessage() + "\n");
            return -1;
        }
    }
}
