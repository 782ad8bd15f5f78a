package ilb.discovery;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class MembershipChangeTest {

    private static final ServerAddress A = new ServerAddress("10.0.0.1", 8000, 0);
    private static final ServerAddress B = new ServerAddress("10.0.0.2", 8000, 0);
    private static final ServerAddress C = new ServerAddress("10.0.0.3", 8000, 0);

    @Test
    void newServersJoinAndMissingOnesLeave() {
        MembershipChange change = MembershipChange.between(Map.of(A.hostPort(), A, B.hostPort(), B),
                new DnsAnswer(List.of(B, C), 30));

        assertThat(change.joining()).containsExactly(C);
        assertThat(change.leaving()).containsExactly(A.hostPort());
        assertThat(change.reweighted()).isEmpty();
    }

    @Test
    void theSameAnswerChangesNothing() {
        assertThat(MembershipChange.between(Map.of(A.hostPort(), A), new DnsAnswer(List.of(A, A), 30)).none())
                .isTrue();
    }

    @Test
    void aServerWhoseRecordChangedItsWeightIsReweighted() {
        ServerAddress heavier = new ServerAddress(A.ip(), A.port(), 50);

        MembershipChange change = MembershipChange.between(Map.of(A.hostPort(), A), new DnsAnswer(List.of(heavier), 5));

        assertThat(change.reweighted()).containsExactly(heavier);
        assertThat(change.joining()).isEmpty();
        assertThat(change.leaving()).isEmpty();
    }

    @Test
    void anEmptyAnswerEmptiesTheGroup() {
        MembershipChange change = MembershipChange.between(Map.of(A.hostPort(), A), new DnsAnswer(List.of(), 0));

        assertThat(change.leaving()).containsExactly(A.hostPort());
    }
}
