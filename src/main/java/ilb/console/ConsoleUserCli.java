package ilb.console;

import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Adds, replaces or removes a console user in the users file (default hawtio/users.properties); the password is
 * asked for, never taken from the command line (where ps and the shell history would show it):
 * {@code mvn -q compile exec:java@hawtio-user -Dexec.args="add alice admin"}. Without a terminal it reads the
 * password from the first line of standard input.
 */
public final class ConsoleUserCli {

    private static final String USAGE = """
            usage: add <user> <role>[,<role>] [users file]   add the user, or replace its password and roles
                   remove <user> [users file]
            roles: admin (runs ilb's operations), viewer (reads only); users file: hawtio/users.properties""";

    private ConsoleUserCli() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length >= 3 && args[0].equals("add")) {
            UsersFile users = usersFile(args, 3);
            Set<ConsoleRole> roles = Arrays.stream(args[2].split(",")).map(ConsoleRole::of).collect(Collectors.toSet());
            char[] password = password(args[1]);
            try {
                users.put(ConsoleUser.withPassword(args[1], password, roles));
            } finally {
                Arrays.fill(password, '\0');
            }
            System.out.println("user " + args[1] + " (" + args[2] + ") saved in " + users.path());
        } else if (args.length >= 2 && args[0].equals("remove")) {
            UsersFile users = usersFile(args, 2);
            System.out.println(users.remove(args[1]) ? "user " + args[1] + " removed from " + users.path()
                    : "no user " + args[1] + " in " + users.path());
        } else {
            System.err.println(USAGE);
            System.exit(2);
        }
    }

    private static UsersFile usersFile(String[] args, int index) {
        // the distribution's bin/ilb names its users file with ilb.console.users
        return new UsersFile(Path.of(args.length > index ? args[index]
                : System.getProperty("ilb.console.users", "hawtio/users.properties")));
    }

    private static char[] password(String user) throws IOException {
        Console console = System.console();
        if (console == null) {
            String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            return checked(line == null ? new char[0] : line.toCharArray());
        }
        char[] password = console.readPassword("password for %s: ", user);
        char[] again = console.readPassword("again: ");
        if (password == null || !Arrays.equals(password, again)) {
            throw new IllegalArgumentException("the passwords differ");
        }
        return checked(password);
    }

    private static char[] checked(char[] password) {
        if (password.length < 8) {
            throw new IllegalArgumentException("a password has 8 characters or more");
        }
        return password;
    }
}
