package ilb.console;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The console's users, one a line: {@code name = pbkdf2-sha256:...,role[,role]} ({@link PasswordHash}); lines
 * starting with {@code #} are comments and are kept when a user is added or removed. Read at every login, so a user
 * added while ilb runs can log in at once.
 */
final class UsersFile {

    private static final Logger LOG = LoggerFactory.getLogger(UsersFile.class);


    private final Path path;

    UsersFile(Path path) {
        this.path = path;
    }

    Path path() {
        return path;
    }

    Map<String, ConsoleUser> users() {
        Map<String, ConsoleUser> users = new LinkedHashMap<>();
        for (String line : lines()) {
            parse(line).ifPresent(user -> users.put(user.name(), user));
        }
        return users;
    }

    Optional<ConsoleUser> user(String name) {
        return Optional.ofNullable(users().get(name));
    }

    /** Adds the user, or replaces the one of that name where it stands. */
    void put(ConsoleUser user) {
        List<String> lines = new ArrayList<>();
        boolean replaced = false;
        for (String line : lines()) {
            if (isUser(line, user.name())) {
                if (!replaced) {
                    lines.add(format(user));
                    replaced = true;
                }
            } else {
                lines.add(line);
            }
        }
        if (!replaced) {
            lines.add(format(user));
        }
        write(lines);
    }

    /** @return whether there was such a user */
    boolean remove(String name) {
        List<String> lines = lines();
        boolean removed = lines.removeIf(line -> isUser(line, name));
        if (removed) {
            write(lines);
        }
        return removed;
    }

    private Optional<ConsoleUser> parse(String line) {
        String trimmed = line.trim();
        int eq = trimmed.indexOf('=');
        if (trimmed.isEmpty() || trimmed.startsWith("#") || eq < 0) {
            return Optional.empty();
        }
        String[] value = trimmed.substring(eq + 1).trim().split("\\s*,\\s*");
        try {
            return Optional.of(new ConsoleUser(trimmed.substring(0, eq).trim(), value[0],
                    Arrays.stream(value, 1, value.length).map(ConsoleRole::of).collect(Collectors.toSet())));
        } catch (IllegalArgumentException e) {
            // one bad line (a hand edit) must not lock every user out: that user cannot log in, the others can
            LOG.warn("Console users file {}: a line is skipped: {}", path, e.getMessage());
            return Optional.empty();
        }
    }

    private boolean isUser(String line, String name) {
        return parse(line).map(user -> user.name().equals(name)).orElse(false);
    }

    private static String format(ConsoleUser user) {
        return user.name() + " = " + user.passwordHash() + "," + user.roles().stream().sorted().map(ConsoleRole::id)
                .collect(Collectors.joining(","));
    }

    private List<String> lines() {
        try {
            return Files.exists(path) ? new ArrayList<>(Files.readAllLines(path)) : new ArrayList<>();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the console users file " + path, e);
        }
    }

    private void write(List<String> lines) {
        try {
            Path parent = path.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            // written whole, then moved over the old file: a login never reads half a file
            Path next = Files.createTempFile(parent, path.getFileName().toString(), ".new");
            Files.write(next, lines);
            Files.move(next, path, StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the console users file " + path, e);
        }
    }
}
