package ilb.console;

import java.security.Principal;

/** The logged-in console user; Hawtio finds the user's name by this class's simple name. */
record UserPrincipal(String name) implements Principal {

    @Override
    public String getName() {
        return name;
    }
}
