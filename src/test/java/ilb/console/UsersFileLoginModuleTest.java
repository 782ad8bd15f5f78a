package ilb.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;

import javax.security.auth.Subject;
import javax.security.auth.callback.NameCallback;
import javax.security.auth.callback.PasswordCallback;
import javax.security.auth.login.FailedLoginException;
import javax.security.auth.login.LoginContext;
import javax.security.auth.login.LoginException;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Logging in as Hawtio does: a plain JAAS LoginContext for the console's realm. */
class UsersFileLoginModuleTest {

    @TempDir
    Path dir;
    private ConsoleRealm realm;

    @BeforeEach
    void usersAndRealm() {
        UsersFile users = new UsersFile(dir.resolve("users.properties"));
        users.put(ConsoleUser.withPassword("alice", "alice-secret".toCharArray(), Set.of(ConsoleRole.ADMIN)));
        users.put(ConsoleUser.withPassword("bob", "bob-secret".toCharArray(), Set.of(ConsoleRole.VIEWER)));
        realm = ConsoleRealm.install(new PasswordCheck(users, Duration.ofMinutes(1), System::nanoTime));
    }

    @AfterEach
    void uninstall() {
        realm.uninstall();
    }

    @Test
    void aUserWithTheRightPasswordGetsTheirNameAndRoles() throws LoginException {
        Subject subject = login("alice", "alice-secret");

        assertThat(subject.getPrincipals()).containsExactlyInAnyOrder(new UserPrincipal("alice"),
                new RolePrincipal("admin"));
        assertThat(login("bob", "bob-secret").getPrincipals(RolePrincipal.class))
                .containsExactly(new RolePrincipal("viewer"));
    }

    @Test
    void aWrongPasswordOrAnUnknownUserIsRefused() {
        assertThatThrownBy(() -> login("alice", "bob-secret")).isInstanceOf(FailedLoginException.class);
        assertThatThrownBy(() -> login("mallory", "alice-secret")).isInstanceOf(FailedLoginException.class);
        assertThatThrownBy(() -> login("alice", "")).isInstanceOf(FailedLoginException.class);
    }

    @Test
    void otherRealmsAreLeftToTheConfigurationBefore() {
        assertThat(realm.getAppConfigurationEntry(ConsoleRealm.NAME)).hasSize(1);
        assertThat(realm.getAppConfigurationEntry("KafkaClient")).isNull();
    }

    private static Subject login(String user, String password) throws LoginException {
        Subject subject = new Subject();
        LoginContext login = new LoginContext(ConsoleRealm.NAME, subject, callbacks -> {
            ((NameCallback) callbacks[0]).setName(user);
            ((PasswordCallback) callbacks[1]).setPassword(password.toCharArray());
        });
        login.login();
        return subject;
    }
}
