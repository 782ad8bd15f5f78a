package ilb.console;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PasswordHashTest {

    @Test
    void aHashMatchesItsPasswordOnly() {
        String hash = PasswordHash.of("correct horse".toCharArray());

        assertThat(PasswordHash.matches(hash, "correct horse".toCharArray())).isTrue();
        assertThat(PasswordHash.matches(hash, "correct horsE".toCharArray())).isFalse();
        assertThat(PasswordHash.matches(hash, new char[0])).isFalse();
    }

    @Test
    void theSamePasswordHashesDifferentlyEachTimeAndIsNotInTheHash() {
        String first = PasswordHash.of("correct horse".toCharArray());
        String second = PasswordHash.of("correct horse".toCharArray());

        assertThat(first).isNotEqualTo(second).startsWith("pbkdf2-sha256:600000:").doesNotContain("correct horse");
        assertThat(PasswordHash.matches(second, "correct horse".toCharArray())).isTrue();
    }

    @Test
    void aHashOfAnotherSchemeOrMalformedMatchesNothing() {
        assertThat(PasswordHash.matches("plain-password", "plain-password".toCharArray())).isFalse();
        assertThat(PasswordHash.matches("md5:1:c2FsdA==:aGFzaA==", "x".toCharArray())).isFalse();
        assertThat(PasswordHash.matches("pbkdf2-sha256:1000:not base64:x", "x".toCharArray())).isFalse();
    }
}
