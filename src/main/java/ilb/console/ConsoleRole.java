package ilb.console;

import java.util.Arrays;
import java.util.Locale;

/** What a console user may do: an admin runs the operations the Jolokia policy allows, a viewer only looks. */
enum ConsoleRole {
    ADMIN, VIEWER;

    /** The name in the users file and in Hawtio's {@code hawtio.roles}. */
    String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    static ConsoleRole of(String id) {
        return Arrays.stream(values()).filter(role -> role.id().equals(id)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no console role " + id + " (admin, viewer)"));
    }
}
