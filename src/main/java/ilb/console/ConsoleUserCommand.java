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

import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code ilb console user add|passwd|remove}: the console's users in the users file. The password is asked for, never
 * taken from the command line (where ps and the shell history would show it); without a terminal it is the first
 * line of standard input.
 */
@Command(name = "user", description = "Adds, changes or removes a console user.")
final class ConsoleUserCommand {

    /** The distribution's bin/ilb names its users file with the property ilb.console.users. */
    @Option(names = "--users-file", paramLabel = "<file>", scope = ScopeType.INHERIT,
            defaultValue = "${sys:ilb.console.users:-hawtio/users.properties}",
            description = "the console's users file (default: ${DEFAULT-VALUE})")
    private Path usersFile;

    @Spec
    private CommandSpec spec;

    @Command(name = "add", description = "Adds the user with the password asked for; a user of that name already"
            + " there is replaced, password and roles.")
    int add(@Parameters(paramLabel = "<name>") String name,
            @Parameters(paramLabel = "<role>", arity = "1", split = ",", converter = Role.class,
                    description = "admin (runs ilb's operations) or viewer (reads only); several: admin,viewer")
            Set<ConsoleRole> roles) throws IOException {
        UsersFile users = new UsersFile(usersFile);
        save(users, name, roles);
        spec.commandLine().getOut().println("user " + name + " (" + roles.stream().sorted().map(ConsoleRole::id)
                .collect(Collectors.joining(",")) + ") saved in " + users.path());
        return 0;
    }

    @Command(name = "passwd", description = "Changes the password of an existing user; its roles stay.")
    int passwd(@Parameters(paramLabel = "<name>") String name) throws IOException {
        UsersFile users = new UsersFile(usersFile);
        ConsoleUser user = users.user(name).orElse(null);
        if (user == null) {
            spec.commandLine().getErr().println("no user " + name + " in " + users.path());
            return 1;
        }
        save(users, name, user.roles());
        spec.commandLine().getOut().println("password of " + name + " changed in " + users.path());
        return 0;
    }

    @Command(name = "remove", description = "Removes the user.")
    int remove(@Parameters(paramLabel = "<name>") String name) {
        UsersFile users = new UsersFile(usersFile);
        if (!users.remove(name)) {
            spec.commandLine().getErr().println("no user " + name + " in " + users.path());
            return 1;
        }
        spec.commandLine().getOut().println("user " + name + " removed from " + users.path());
        return 0;
    }

    private static void save(UsersFile users, String name, Set<ConsoleRole> roles) throws IOException {
        char[] password = password(name);
        try {
            users.put(ConsoleUser.withPassword(name, password, roles));
        } finally {
            Arrays.fill(password, '\0');
        }
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

    static final class Role implements ITypeConverter<ConsoleRole> {
        @Override
        public ConsoleRole convert(String id) {
            try {
                return ConsoleRole.of(id);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }
}
