package ilb.routing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code ilb routes check <file>...}: route files checked before they are put where ilb reloads them. */
@Command(name = "routes", description = "Route files.")
public final class RoutesCommand {

    @Spec
    private CommandSpec spec;

    @Command(name = "check", description = {"Loads each route file as a reload would, offline (no port opened, no"
        + " backend or broker contacted), and says what a reload would refuse: YAML errors, unknown or bad endpoint"
        + " options, unknown policies and policy options, duplicate route ids.",
        "Exit status 1 if any file has an error."})
    int check(@Parameters(paramLabel = "<file>", arity = "1..*") List<Path> files) throws Exception {
        boolean allOk = true;
        for (Path file : files) {
            if (!Files.isRegularFile(file)) {
                spec.commandLine().getErr().println(file + ": no such file");
                allOk = false;
                continue;
            }
            RouteFileCheck.Result result = RouteFileCheck.check(file);
            (result.ok() ? spec.commandLine().getOut() : spec.commandLine().getErr()).println(result);
            allOk &= result.ok();
        }
        return allOk ? 0 : 1;
    }
}
