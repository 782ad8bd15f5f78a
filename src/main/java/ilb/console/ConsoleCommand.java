package ilb.console;

import picocli.CommandLine.Command;

/** {@code ilb console}: the Hawtio console's commands. */
@Command(name = "console", description = "The console's users.", subcommands = ConsoleUserCommand.class)
public final class ConsoleCommand {
}
