package io.jccl.safety;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.Map;

/**
 * A failed collective (mismatched count, timeout, abort) followed at once by closing every buffer, 200 times on
 * 8 in-process ranks with the native kernels, each case in a forked JVM: no crash, every rank's error names the
 * problem, and a mismatch reaches every rank within 2 s. The in-process transport is zero-copy (a peer reduces
 * straight from the sender's memory), so a call that returned while a peer still read its buffer crashed here.
 */
@Timeout(300)
@Tag("slow")
class FailThenCloseTest {
    static final int COUNT = 409_598;

    @Test
    void mismatchedCountsThenClose() throws Exception {
        ForkedJvm.Result r = ForkedJvm.run(FailureScenario.class, Map.of("JCCL_ALGO", "ring"), 240,
                "mismatch", "8", "200", String.valueOf(COUNT), "20000");
        FailureChecks.assertMismatch(r, 8, 200, COUNT, 2_000);
    }

    @Test
    void mismatchedCountsThenCloseUnderTheAutomaticChoice() throws Exception {
        ForkedJvm.Result r = ForkedJvm.run(FailureScenario.class, Map.of(), 240,
                "mismatch", "8", "100", String.valueOf(COUNT), "20000");
        FailureChecks.assertMismatch(r, 8, 100, COUNT, 2_000);
    }

    @Test
    void timeoutThenClose() throws Exception {
        ForkedJvm.Result r = ForkedJvm.run(FailureScenario.class, Map.of("JCCL_ALGO", "ring"), 240,
                "timeout", "8", "200", String.valueOf(COUNT), "100");
        FailureChecks.assertTimeout(r, 8, 200);
    }

    @Test
    void abortThenClose() throws Exception {
        ForkedJvm.Result r = ForkedJvm.run(FailureScenario.class, Map.of("JCCL_ALGO", "ring"), 240,
                "abort", "8", "200", String.valueOf(COUNT), "20000");
        FailureChecks.assertAbort(r, 8, 200, 2_000);
    }
}
