package ilb.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import ilb.IlbCommand;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code ilb console user} as a script would use it: no terminal, so the password comes on standard input. */
class ConsoleUserCommandTest {

    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @Test
    void addsAUserWhosePasswordIsStoredOnlyAsAHash() throws Exception {
        Path file = dir.resolve("users.properties");

        assertThat(withPassword("s3cret-pass", "console", "user", "add", "--users-file", file.toString(), "alice",
                "admin,viewer")).isZero();

        ConsoleUser alice = new UsersFile(file).user("alice").orElseThrow();
        assertThat(alice.roles()).containsExactlyInAnyOrder(ConsoleRole.ADMIN, ConsoleRole.VIEWER);
        assertThat(alice.hasPassword("s3cret-pass".toCharArray())).isTrue();
        assertThat(Files.readString(file)).doesNotContain("s3cret");
        assertThat(out.toString()).contains("user alice (admin,viewer) saved in " + file);
    }

    @Test
    void passwdChangesAnExistingUsersPasswordAndKeepsItsRoles() throws Exception {
        Path file = dir.resolve("users.properties");
        withPassword("first-pass", "console", "user", "add", "--users-file", file.toString(), "bob", "viewer");

        assertThat(withPassword("second-pass", "console", "user", "passwd", "--users-file", file.toString(), "bob"))
                .isZero();

        ConsoleUser bob = new UsersFile(file).user("bob").orElseThrow();
        assertThat(bob.hasPassword("second-pass".toCharArray())).isTrue();
        assertThat(bob.hasPassword("first-pass".toCharArray())).isFalse();
        assertThat(bob.roles()).containsExactly(ConsoleRole.VIEWER);
    }

    @Test
    void passwdOfNoSuchUserFailsAndAddsNobody() throws Exception {
        Path file = dir.resolve("users.properties");

        assertThat(withPassword("some-pass-1", "console", "user", "passwd", "--users-file", file.toString(), "carol"))
                .isEqualTo(1);

        assertThat(err.toString()).contains("no user carol in " + file);
        assertThat(new UsersFile(file).users()).isEmpty();
    }

    @Test
    void removesAUser() throws Exception {
        Path file = dir.resolve("users.properties");
        withPassword("s3cret-pass", "console", "user", "add", "--users-file", file.toString(), "alice", "admin");

        assertThat(execute("console", "user", "remove", "--users-file", file.toString(), "alice")).isZero();

        assertThat(new UsersFile(file).users()).isEmpty();
        assertThat(execute("console", "user", "remove", "--users-file", file.toString(), "alice")).isEqualTo(1);
        assertThat(err.toString()).contains("no user alice");
    }

    @Test
    void aShortPasswordIsRefused() throws Exception {
        Path file = dir.resolve("users.properties");

        assertThat(withPassword("short", "console", "user", "add", "--users-file", file.toString(), "alice", "admin"))
                .isEqualTo(1);

        assertThat(err.toString()).contains("8 characters");
        assertThat(Files.exists(file)).isFalse();
    }

    @Test
    void anUnknownRoleIsAUsageError() throws Exception {
        assertThat(execute("console", "user", "add", "--users-file", dir.resolve("u").toString(), "alice", "boss"))
                .isEqualTo(2);

        assertThat(err.toString()).contains("no console role boss");
    }

    @Test
    void helpListsTheCommandsAndOptions() {
        assertThat(execute("console", "--help")).isZero();
        assertThat(out.toString()).contains("user");
        assertThat(execute("console", "user", "--help")).isZero();
        assertThat(out.toString()).contains("add", "passwd", "remove", "--users-file");
        assertThat(execute("console", "user", "passwd", "-h")).isZero();
        assertThat(out.toString()).contains("Usage: ilb console user passwd", "<name>");
    }

    private int withPassword(String password, String... args) throws Exception {
        InputStream in = System.in;
        System.setIn(new ByteArrayInputStream((password + "\n").getBytes(StandardCharsets.UTF_8)));
        try {
            return execute(args);
        } finally {
            System.setIn(in);
        }
    }

    private int execute(String... args) {
        CommandLine cli = IlbCommand.commandLine(Map.of());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }
}
