package ilb.bench;

import java.util.SplittableRandom;

/**
 * Prompt text. The simulated backend counts each whitespace-separated word as a token, so a prompt of n words is
 * n tokens (plus one for the role name).
 */
final class Words {

    private static final String[] VOCABULARY = ("the of and to in is was that for on are with as be at by this had not "
            + "but from have or one what all were when we there can an your which their said if do will each about how "
            + "up out them then she many some so these would other into has more her two like him see time could no "
            + "make than first been its who now people my made over did down only way find use may water long little "
            + "very after words called just where most know get through back much before go good new write our used "
            + "me man too any day same right look think also around another came come work three word must because "
            + "does part even place well such here take why things help put years different away again off went old "
            + "number great tell men say small every found still between name should home big give air line set own").split(" ");

    private Words() {
    }

    /** {@code count} words drawn at random. */
    static String random(SplittableRandom random, int count) {
        StringBuilder text = new StringBuilder(count * 6);
        for (int i = 0; i < count; i++) {
            if (i > 0) {
                text.append(' ');
            }
            text.append(VOCABULARY[random.nextInt(VOCABULARY.length)]);
        }
        return text.toString();
    }
}
