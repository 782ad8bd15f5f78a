package ilb.console;

import java.util.Set;
import java.util.regex.Pattern;

/** A console user as the users file has it: a name, the hash of the password, the roles. */
record ConsoleUser(String name, String passwordHash, Set<ConsoleRole> roles) {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._@-]+");

    ConsoleUser {
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("a user name is letters, digits and . _ @ - only: " + name);
        }
        if (roles.isEmpty()) {
            throw new IllegalArgumentException("user " + name + " needs a role (admin, viewer)");
        }
        roles = Set.copyOf(roles);
    }

    /** A user with a new hash of the password. */
    static ConsoleUser withPassword(String name, char[] password, Set<ConsoleRole> roles) {
        return new ConsoleUser(name, PasswordHash.of(password), roles);
    }

    boolean hasPassword(char[] password) {
        return PasswordHash.matches(passwordHash, password);
    }
}
