package ilb.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FirstAdminTest {

    @TempDir
    Path dir;

    @Test
    void aFileWithoutUsersGetsAnAdmin() throws Exception {
        UsersFile users = new UsersFile(dir.resolve("users.properties"));

        FirstAdmin.createIfNoUsers(users);

        assertThat(users.users()).containsOnlyKeys("admin");
        ConsoleUser admin = users.user("admin").orElseThrow();
        assertThat(admin.roles()).containsExactly(ConsoleRole.ADMIN);
        // its password is in a file only its owner may read, and it is the one the users file has the hash of
        Path passwordFile = dir.resolve(FirstAdmin.PASSWORD_FILE);
        assertThat(Files.getPosixFilePermissions(passwordFile)).containsExactlyInAnyOrder(
                PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
        String password = Files.readString(passwordFile).trim();
        assertThat(password).hasSizeGreaterThanOrEqualTo(20);
        assertThat(admin.hasPassword(password.toCharArray())).isTrue();
    }

    @Test
    void aFileWithUsersIsLeftAlone() {
        UsersFile users = new UsersFile(dir.resolve("users.properties"));
        users.put(ConsoleUser.withPassword("alice", "alice-pass".toCharArray(), Set.of(ConsoleRole.VIEWER)));

        FirstAdmin.createIfNoUsers(users);

        assertThat(users.users()).containsOnlyKeys("alice");
        assertThat(dir.resolve(FirstAdmin.PASSWORD_FILE)).doesNotExist();
    }
}
