package ilb.console;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first start's console user: when the users file has none, an {@code admin} with a random password, written to
 * {@code initial-admin-password} beside the users file, readable by its owner only. So no password is the same on
 * every appliance or written in the README, none reaches a log, and a fresh appliance can still be logged into
 * without a setup step.
 */
final class FirstAdmin {

    private static final Logger LOG = LoggerFactory.getLogger(FirstAdmin.class);
    static final String NAME = "admin";
    static final String PASSWORD_FILE = "initial-admin-password";

    private FirstAdmin() {
    }

    static void createIfNoUsers(UsersFile users) {
        if (!users.users().isEmpty()) {
            return;
        }
        byte[] random = new byte[15];
        new SecureRandom().nextBytes(random);
        String password = Base64.getUrlEncoder().encodeToString(random);
        Path passwordFile = passwordFile(users);
        write(passwordFile, password);
        users.put(ConsoleUser.withPassword(NAME, password.toCharArray(), Set.of(ConsoleRole.ADMIN)));
        LOG.info("Console users file {} had no users: created user '{}', its password is in {}. Change it with: "
                + "mvn -q compile exec:java@ilb -Dexec.args=\"console user passwd {}\" (bin/ilb console user passwd {}),"
                + " then delete that file",
                users.path(), NAME, passwordFile, NAME, NAME);
    }

    static Path passwordFile(UsersFile users) {
        return users.path().toAbsolutePath().resolveSibling(PASSWORD_FILE);
    }

    private static void write(Path file, String password) {
        try {
            Files.createDirectories(file.getParent());
            // a temporary file is its owner's only; moved into place whole
            Path next = Files.createTempFile(file.getParent(), PASSWORD_FILE, ".new");
            Files.writeString(next, password + System.lineSeparator());
            Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the first console password to " + file, e);
        }
    }
}
