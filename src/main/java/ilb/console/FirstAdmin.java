package ilb.console;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first start's console user: when the users file has none, an {@code admin} with a random password, which the
 * log shows this once. So no password is the same on every appliance or written in the README, and a fresh
 * appliance can still be logged into without a setup step.
 */
final class FirstAdmin {

    private static final Logger LOG = LoggerFactory.getLogger(FirstAdmin.class);
    static final String NAME = "admin";

    private FirstAdmin() {
    }

    static void createIfNoUsers(UsersFile users) {
        if (!users.users().isEmpty()) {
            return;
        }
        byte[] random = new byte[15];
        new SecureRandom().nextBytes(random);
        String password = Base64.getUrlEncoder().encodeToString(random);
        users.put(ConsoleUser.withPassword(NAME, password.toCharArray(), Set.of(ConsoleRole.ADMIN)));
        LOG.info("Console users file {} had no users: created user '{}' with password '{}'. It is shown only this once;"
                + " change it with: mvn -q compile exec:java@hawtio-user -Dexec.args=\"add {} admin\"",
                users.path(), NAME, password, NAME);
    }
}
