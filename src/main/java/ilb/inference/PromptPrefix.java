package ilb.inference;

import java.util.Arrays;

/**
 * A prompt cut into blocks of {@value #BLOCK_CHARS} characters, each named by a hash of itself and everything
 * before it, as model servers name their KV-cache blocks. Two prompts that share their first n blocks share their
 * first n hashes, so the hashes tell which backend already holds the longest part of a prompt. Characters, not
 * tokens: ilb does not know the model's tokenizer, and for routing the difference does not matter.
 */
public final class PromptPrefix {

    public static final int BLOCK_CHARS = 256;
    /** Hashed at most: 64 KiB of prompt, enough to tell system prompts and conversations apart. */
    public static final int MAX_BLOCKS = 256;
    public static final PromptPrefix NONE = new PromptPrefix(new long[0], 0);

    private static final long FNV_OFFSET = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;

    private final long[] blocks;
    private final int chars;

    private PromptPrefix(long[] blocks, int chars) {
        this.blocks = blocks;
        this.chars = chars;
    }

    /** Full blocks hashed. */
    public int blocks() {
        return blocks.length;
    }

    /** The hash of block {@code i} and all blocks before it. */
    public long block(int i) {
        return blocks[i];
    }

    /** Characters of prompt seen, hashed or not: a rough size of the prompt (about four per token). */
    public int chars() {
        return chars;
    }

    @Override
    public String toString() {
        return blocks.length + " blocks, " + chars + " chars";
    }

    /** Takes the prompt's text in order, piece by piece. Not thread-safe. */
    public static final class Builder {
        private long[] blocks = new long[8];
        private int count;
        private long hash = FNV_OFFSET;
        private int inBlock;
        private int chars;

        public Builder add(String text) {
            chars += text.length();
            for (int i = 0; i < text.length() && count < MAX_BLOCKS; i++) {
                hash = (hash ^ text.charAt(i)) * FNV_PRIME;
                if (++inBlock == BLOCK_CHARS) {
                    if (count == blocks.length) {
                        blocks = Arrays.copyOf(blocks, count * 2);
                    }
                    blocks[count++] = hash;
                    inBlock = 0;
                }
            }
            // a separator, so that ["ab", "c"] and ["a", "bc"] differ
            hash = (hash ^ 0x1f) * FNV_PRIME;
            return this;
        }

        public PromptPrefix build() {
            return count == 0 && chars == 0 ? NONE : new PromptPrefix(Arrays.copyOf(blocks, count), chars);
        }
    }
}
