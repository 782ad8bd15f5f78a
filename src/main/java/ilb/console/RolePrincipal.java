package ilb.console;

import java.security.Principal;

/**
 * A role of the logged-in console user. Hawtio checks roles by this class's name ({@code hawtio.rolePrincipalClasses})
 * and needs its one-String constructor.
 */
public record RolePrincipal(String name) implements Principal {

    @Override
    public String getName() {
        return name;
    }
}
