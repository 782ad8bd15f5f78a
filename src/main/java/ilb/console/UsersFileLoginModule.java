package ilb.console;

import java.io.IOException;
import java.security.Principal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import javax.security.auth.Subject;
import javax.security.auth.callback.Callback;
import javax.security.auth.callback.CallbackHandler;
import javax.security.auth.callback.NameCallback;
import javax.security.auth.callback.PasswordCallback;
import javax.security.auth.callback.UnsupportedCallbackException;
import javax.security.auth.login.FailedLoginException;
import javax.security.auth.login.LoginException;
import javax.security.auth.spi.LoginModule;

/**
 * JAAS login against the console's users file, through the {@link PasswordCheck} of option {@code check}: on
 * success the subject gets a
 * {@link UserPrincipal} and a {@link RolePrincipal} per role. Works under a plain {@code LoginContext}, which is how
 * Hawtio logs users in.
 */
public final class UsersFileLoginModule implements LoginModule {

    static final String CHECK_OPTION = "check";

    private Subject subject;
    private CallbackHandler callbacks;
    private PasswordCheck passwords;
    private ConsoleUser authenticated;
    private final List<Principal> added = new ArrayList<>();

    @Override
    public void initialize(Subject subject, CallbackHandler callbackHandler, Map<String, ?> sharedState,
            Map<String, ?> options) {
        this.subject = subject;
        this.callbacks = callbackHandler;
        this.passwords = (PasswordCheck) options.get(CHECK_OPTION);
    }

    @Override
    public boolean login() throws LoginException {
        NameCallback name = new NameCallback("user");
        PasswordCallback password = new PasswordCallback("password", false);
        try {
            callbacks.handle(new Callback[] {name, password});
        } catch (IOException | UnsupportedCallbackException e) {
            throw new LoginException("cannot ask for user and password: " + e);
        }
        char[] secret = password.getPassword() == null ? new char[0] : password.getPassword();
        try {
            Optional<ConsoleUser> user = passwords.check(name.getName(), secret);
            if (user.isEmpty()) {
                throw new FailedLoginException("wrong user or password");
            }
            authenticated = user.get();
            return true;
        } finally {
            Arrays.fill(secret, '\0');
            password.clearPassword();
        }
    }

    @Override
    public boolean commit() {
        if (authenticated == null) {
            return false;
        }
        added.add(new UserPrincipal(authenticated.name()));
        authenticated.roles().forEach(role -> added.add(new RolePrincipal(role.id())));
        subject.getPrincipals().addAll(added);
        return true;
    }

    @Override
    public boolean abort() {
        logout();
        return true;
    }

    @Override
    public boolean logout() {
        subject.getPrincipals().removeAll(added);
        added.clear();
        authenticated = null;
        return true;
    }
}
