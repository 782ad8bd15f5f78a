package ilb.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The password check, its short memory of verified passwords, and its count of hashes, on a clock the test moves. */
class PasswordCheckTest {

    @TempDir
    Path dir;
    private final AtomicLong now = new AtomicLong();
    private UsersFile users;
    private PasswordCheck check;

    @BeforeEach
    void users() {
        users = new UsersFile(dir.resolve("users.properties"));
        users.put(ConsoleUser.withPassword("alice", "alice-secret".toCharArray(), Set.of(ConsoleRole.ADMIN)));
        check = new PasswordCheck(users, Duration.ofSeconds(60), now::get);
    }

    @Test
    void aVerifiedPasswordIsTakenAgainWithoutHashingForAWhile() {
        assertThat(check.remembers("alice", "alice-secret".toCharArray())).isFalse();
        assertThat(check.check("alice", "alice-secret".toCharArray())).map(ConsoleUser::name).contains("alice");
        assertThat(check.verifications()).isEqualTo(1);

        assertThat(check.remembers("alice", "alice-secret".toCharArray())).isTrue();
        assertThat(check.check("alice", "alice-secret".toCharArray())).isPresent();
        assertThat(check.verifications()).isEqualTo(1);

        now.addAndGet(Duration.ofSeconds(60).toNanos());
        assertThat(check.remembers("alice", "alice-secret".toCharArray())).isFalse();
        assertThat(check.check("alice", "alice-secret".toCharArray())).isPresent();
        assertThat(check.verifications()).isEqualTo(2);
    }

    @Test
    void wrongPasswordsAndUnknownUsersAreHashedEveryTimeAndNeverRemembered() {
        check.check("alice", "alice-secret".toCharArray());

        assertThat(check.check("alice", "wrong".toCharArray())).isEmpty();
        assertThat(check.check("alice", "wrong".toCharArray())).isEmpty();
        assertThat(check.check("mallory", "alice-secret".toCharArray())).isEmpty();
        assertThat(check.check(null, "alice-secret".toCharArray())).isEmpty();
        assertThat(check.remembers("alice", "wrong".toCharArray())).isFalse();
        assertThat(check.remembers("mallory", "alice-secret".toCharArray())).isFalse();
        assertThat(check.verifications()).isEqualTo(5);
    }

    @Test
    void aChangedPasswordOrARemovedUserIsNotRemembered() {
        check.check("alice", "alice-secret".toCharArray());

        users.put(ConsoleUser.withPassword("alice", "new-secret".toCharArray(), Set.of(ConsoleRole.ADMIN)));
        assertThat(check.remembers("alice", "alice-secret".toCharArray())).isFalse();
        assertThat(check.check("alice", "alice-secret".toCharArray())).isEmpty();

        check.check("alice", "new-secret".toCharArray());
        users.remove("alice");
        assertThat(check.remembers("alice", "new-secret".toCharArray())).isFalse();
        assertThat(check.check("alice", "new-secret".toCharArray())).isEmpty();
    }
}
