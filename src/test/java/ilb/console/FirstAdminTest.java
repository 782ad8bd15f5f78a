package ilb.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FirstAdminTest {

    @TempDir
    Path dir;

    @Test
    void aFileWithoutUsersGetsAnAdmin() {
        UsersFile users = new UsersFile(dir.resolve("users.properties"));

        FirstAdmin.createIfNoUsers(users);

        assertThat(users.users()).containsOnlyKeys("admin");
        assertThat(users.user("admin").orElseThrow().roles()).containsExactly(ConsoleRole.ADMIN);
    }

    @Test
    void aFileWithUsersIsLeftAlone() {
        UsersFile users = new UsersFile(dir.resolve("users.properties"));
        users.put(ConsoleUser.withPassword("alice", "alice-pass".toCharArray(), Set.of(ConsoleRole.VIEWER)));

        FirstAdmin.createIfNoUsers(users);

        assertThat(users.users()).containsOnlyKeys("alice");
    }
}
