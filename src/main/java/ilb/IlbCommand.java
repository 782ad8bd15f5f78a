package ilb;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.Properties;

import ilb.batch.BatchCommand;
import ilb.console.ConsoleCommand;
import ilb.routing.RoutesCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ScopeType;

/**
 * ilb's command line, {@code bin/ilb <command>} in the distribution and {@code mvn -q compile exec:java@ilb
 * -Dexec.args="<command>"} in the source tree: each capability's commands under one name, with {@code --help} and
 * {@code --version} on every one. Exit status: 0 done, 1 failed, 2 a usage error (an unknown option, a bad value).
 */
@Command(name = "ilb", scope = ScopeType.INHERIT, mixinStandardHelpOptions = true,
        versionProvider = IlbCommand.Version.class,
        description = "Inference load balancer: batch jobs, console users and route files.",
        subcommands = CommandLine.HelpCommand.class)
public final class IlbCommand {

    public static void main(String[] args) {
        System.exit(commandLine(System.getenv()).execute(args));
    }

    /** The whole command line; {@code environment} gives ILB_API_KEY to batch submit. */
    public static CommandLine commandLine(Map<String, String> environment) {
        CommandLine commandLine = new CommandLine(new IlbCommand())
                .addSubcommand(new BatchCommand(environment.get("ILB_API_KEY")))
                .addSubcommand(new ConsoleCommand())
                .addSubcommand(new RoutesCommand());
        // the launcher's own commands; set here, as the annotation's footer would be every subcommand's too
        commandLine.getCommandSpec().usageMessage().footer("", "In the distribution, bin/ilb (or bin/ilb run) starts"
                + " ilb, and bin/ilb drain stops it after the requests in flight; bin/ilb hawtio-user is an alias of"
                + " console user.");
        // a failure is one line saying what failed (the password too short, the file missing), not a stack trace
        commandLine.setExecutionExceptionHandler((e, command, parsed) -> {
            command.getErr().println(command.getCommandSpec().qualifiedName() + ": " + (e.getMessage() != null
                    ? e.getMessage() : e.toString()));
            return command.getCommandSpec().exitCodeOnExecutionException();
        });
        return commandLine;
    }

    /** The version of the jar (its Maven descriptor); a build from the source tree has none. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            try (InputStream in = IlbCommand.class.getResourceAsStream("/META-INF/maven/ilb/ilb/pom.properties")) {
                if (in == null) {
                    return new String[] {"ilb (built from source)"};
                }
                Properties pom = new Properties();
                pom.load(in);
                return new String[] {"ilb " + pom.getProperty("version")};
            }
        }
    }
}
