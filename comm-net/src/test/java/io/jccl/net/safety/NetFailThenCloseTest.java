package io.jccl.net.safety;

import io.jccl.safety.FailureChecks;
import io.jccl.safety.ForkedJvm;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Map;

/**
 * Over TCP and over shared memory: a failed collective (mismatched count, timeout, abort) followed at once by
 * closing every buffer, 200 times on 4 ranks (2 for the timeout) with the native kernels, each case in a forked JVM: no crash, and
 * every rank's error names the problem. A TCP send may still sit in the socket's queue, reading the caller's
 * memory, and a shared-memory send in the ring writer's, when the call fails.
 */
@Timeout(300)
@Tag("slow")
class NetFailThenCloseTest {
    static final int COUNT = 409_598;
    static final Map<String, String> RING = Map.of("JCCL_ALGO", "ring");

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "shm"})
    void mismatchedCountsThenClose(String transport) throws Exception {
        ForkedJvm.Result r = ForkedJvm.run(NetFailureScenario.class, RING, 240,
                transport, "mismatch", "4", "200", String.valueOf(COUNT), "20000");
        FailureChecks.assertMismatch(r, 4, 200, COUNT, 5_000);
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "shm"})
    void timeoutThenClose(String transport) throws Exception {
        // two ranks: with more, a rank asks the silent one how far it got and waits out the query's 200 ms
        ForkedJvm.Result r = ForkedJvm.run(NetFailureScenario.class, RING, 240,
                transport, "timeout", "2", "200", String.valueOf(COUNT), "100");
        FailureChecks.assertTimeout(r, 2, 200);
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "shm"})
    void abortThenClose(String transport) throws Exception {
        ForkedJvm.Result r = ForkedJvm.run(NetFailureScenario.class, RING, 240,
                transport, "abort", "4", "200", String.valueOf(COUNT), "20000");
        FailureChecks.assertAbort(r, 4, 200, 5_000);
    }
}
