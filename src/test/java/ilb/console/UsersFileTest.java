package ilb.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UsersFileTest {

    @TempDir
    Path dir;

    @Test
    void addsReplacesAndRemovesUsersKeepingTheComments() throws Exception {
        Path path = dir.resolve("users.properties");
        Files.writeString(path, "# the console's users\n\n");
        UsersFile users = new UsersFile(path);

        users.put(ConsoleUser.withPassword("alice", "alice-pass".toCharArray(), Set.of(ConsoleRole.ADMIN)));
        users.put(ConsoleUser.withPassword("bob", "bob-pass".toCharArray(), Set.of(ConsoleRole.VIEWER)));
        users.put(ConsoleUser.withPassword("alice", "new-pass".toCharArray(),
                Set.of(ConsoleRole.VIEWER, ConsoleRole.ADMIN)));

        assertThat(users.users()).containsOnlyKeys("alice", "bob");
        ConsoleUser alice = users.user("alice").orElseThrow();
        assertThat(alice.roles()).containsExactlyInAnyOrder(ConsoleRole.ADMIN, ConsoleRole.VIEWER);
        assertThat(alice.hasPassword("new-pass".toCharArray())).isTrue();
        assertThat(alice.hasPassword("alice-pass".toCharArray())).isFalse();
        assertThat(Files.readAllLines(path)).first().isEqualTo("# the console's users");
        assertThat(Files.readString(path)).doesNotContain("pass");

        assertThat(users.remove("bob")).isTrue();
        assertThat(users.remove("bob")).isFalse();
        assertThat(users.users()).containsOnlyKeys("alice");
        assertThat(Files.readAllLines(path)).first().isEqualTo("# the console's users");
    }

    @Test
    void aMissingFileHasNoUsers() {
        assertThat(new UsersFile(dir.resolve("none.properties")).users()).isEmpty();
    }

    @Test
    void aUserNeedsAKnownRoleAndAPlainName() throws Exception {
        Path path = dir.resolve("users.properties");
        Files.writeString(path, "carol = pbkdf2-sha256:1:AA==:AA==,root\n");
        UsersFile users = new UsersFile(path);
        users.put(ConsoleUser.withPassword("erin", "erin-pass".toCharArray(), Set.of(ConsoleRole.VIEWER)));

        // carol's line is skipped (and logged), and locks nobody else out
        assertThat(users.users()).containsOnlyKeys("erin");
        assertThatThrownBy(() -> ConsoleUser.withPassword("bad name", "x".toCharArray(), Set.of(ConsoleRole.ADMIN)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ConsoleUser.withPassword("dave", "x".toCharArray(), Set.of()))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
