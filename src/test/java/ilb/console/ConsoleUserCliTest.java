package ilb.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI as a script would use it: no terminal, so the password comes on standard input. */
class ConsoleUserCliTest {

    @TempDir
    Path dir;

    @Test
    void addsAUserWhosePasswordIsStoredOnlyAsAHash() throws Exception {
        Path file = dir.resolve("users.properties");

        withInput("s3cret-pass\n", () -> ConsoleUserCli.main(new String[] {"add", "alice", "admin,viewer",
            file.toString()}));

        ConsoleUser alice = new UsersFile(file).user("alice").orElseThrow();
        assertThat(alice.roles()).containsExactlyInAnyOrder(ConsoleRole.ADMIN, ConsoleRole.VIEWER);
        assertThat(alice.hasPassword("s3cret-pass".toCharArray())).isTrue();
        assertThat(Files.readString(file)).doesNotContain("s3cret");

        ConsoleUserCli.main(new String[] {"remove", "alice", file.toString()});
        assertThat(new UsersFile(file).users()).isEmpty();
    }

    private interface Cli {
        void run() throws Exception;
    }

    private static void withInput(String input, Cli cli) throws Exception {
        InputStream in = System.in;
        System.setIn(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)));
        try {
            cli.run();
        } finally {
            System.setIn(in);
        }
    }
}
