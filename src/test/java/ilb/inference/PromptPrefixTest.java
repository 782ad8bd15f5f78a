package ilb.inference;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class PromptPrefixTest {

    private static final String SYSTEM = "You are a helpful assistant. ".repeat(40);

    @Test
    void promptsThatShareTheirStartShareTheirFirstBlockHashes() {
        PromptPrefix a = new PromptPrefix.Builder().add("system").add(SYSTEM).add("user").add("What is 2+2?").build();
        PromptPrefix b = new PromptPrefix.Builder().add("system").add(SYSTEM).add("user").add("Name a colour.").build();

        int shared = (("system".length() + SYSTEM.length()) / PromptPrefix.BLOCK_CHARS);
        assertThat(shared).isGreaterThan(2);
        for (int i = 0; i < shared; i++) {
            assertThat(a.block(i)).isEqualTo(b.block(i));
        }
    }

    @Test
    void aDifferenceEarlyChangesEveryLaterBlock() {
        PromptPrefix a = new PromptPrefix.Builder().add("A" + SYSTEM).build();
        PromptPrefix b = new PromptPrefix.Builder().add("B" + SYSTEM).build();

        for (int i = 0; i < a.blocks(); i++) {
            assertThat(a.block(i)).isNotEqualTo(b.block(i));
        }
    }

    @Test
    void howTheTextIsSplitIntoPiecesMatters() {
        PromptPrefix joined = new PromptPrefix.Builder().add("ab".repeat(200)).build();
        PromptPrefix split = new PromptPrefix.Builder().add("a").add("b" + "ab".repeat(199)).build();

        assertThat(joined.block(0)).isNotEqualTo(split.block(0));
    }

    @Test
    void onlyFullBlocksAreHashedAndOnlyUpToTheCap() {
        assertThat(new PromptPrefix.Builder().add("short").build().blocks()).isZero();
        assertThat(new PromptPrefix.Builder().add("x".repeat(PromptPrefix.BLOCK_CHARS)).build().blocks()).isEqualTo(1);

        PromptPrefix huge = new PromptPrefix.Builder().add("x".repeat(PromptPrefix.BLOCK_CHARS * 1000)).build();
        assertThat(huge.blocks()).isEqualTo(PromptPrefix.MAX_BLOCKS);
        assertThat(huge.chars()).isEqualTo(PromptPrefix.BLOCK_CHARS * 1000);
    }
}
