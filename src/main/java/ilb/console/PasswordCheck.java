package ilb.console;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Checks a user's password against the users file, and remembers for a short while the passwords it has verified,
 * so that a client sending the same Basic credentials with every Jolokia request pays the slow hash once, not each
 * time. What it remembers is a SHA-256 of user and password under a random key of this process (useless outside
 * it), and the user's hash in the file at that time: a changed password, or a removed user, is not remembered.
 */
final class PasswordCheck {

    private static final SecureRandom RANDOM = new SecureRandom();

    private record Verified(String passwordHash, long until) {
    }

    private final UsersFile users;
    private final long rememberNanos;
    private final LongSupplier nanos;
    private final byte[] key = new byte[32];
    private final Map<String, Verified> verified = new ConcurrentHashMap<>();
    private final AtomicLong verifications = new AtomicLong();

    PasswordCheck(UsersFile users, Duration remember, LongSupplier nanos) {
        this.users = users;
        this.rememberNanos = remember.toNanos();
        this.nanos = nanos;
        RANDOM.nextBytes(key);
    }

    /** The user, if the password is theirs. */
    Optional<ConsoleUser> check(String name, char[] password) {
        Optional<ConsoleUser> user = name == null ? Optional.empty() : users.user(name);
        if (user.isPresent() && remembered(user.get(), password)) {
            return user;
        }
        verifications.incrementAndGet();
        if (user.isEmpty()) {
            // as slow as a wrong password, so that timing does not tell which users exist
            PasswordHash.matches(PasswordHash.DECOY, password);
            return Optional.empty();
        }
        if (!user.get().hasPassword(password)) {
            return Optional.empty();
        }
        long now = nanos.getAsLong();
        verified.values().removeIf(entry -> entry.until() - now <= 0);
        verified.put(fingerprint(name, password), new Verified(user.get().passwordHash(), now + rememberNanos));
        return user;
    }

    /** Whether {@link #check} would take this password without hashing it: verified lately, and unchanged since. */
    boolean remembers(String name, char[] password) {
        // the users file is read only for a password remembered: a guess costs a hash of memory, not a file read
        Verified entry = verified.get(fingerprint(name, password));
        return entry != null && entry.until() - nanos.getAsLong() > 0
                && users.user(name).map(user -> entry.passwordHash().equals(user.passwordHash())).orElse(false);
    }

    /** How many passwords were hashed to verify them (the slow part), remembered ones not counted. */
    long verifications() {
        return verifications.get();
    }

    private boolean remembered(ConsoleUser user, char[] password) {
        Verified entry = verified.get(fingerprint(user.name(), password));
        return entry != null && entry.until() - nanos.getAsLong() > 0
                && entry.passwordHash().equals(user.passwordHash());
    }

    private String fingerprint(String name, char[] password) {
        ByteBuffer secret = StandardCharsets.UTF_8.encode(CharBuffer.wrap(password));
        try {
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            sha256.update(key);
            sha256.update(name.getBytes(StandardCharsets.UTF_8));
            sha256.update((byte) 0);
            sha256.update(secret.duplicate());
            return HexFormat.of().formatHex(sha256.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java", e);
        } finally {
            if (secret.hasArray()) {
                Arrays.fill(secret.array(), (byte) 0);
            }
        }
    }
}
