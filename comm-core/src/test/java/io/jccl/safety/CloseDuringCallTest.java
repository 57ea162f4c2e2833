package io.jccl.safety;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Closing a buffer while its async call is in flight loses the result but never crashes the JVM. */
@Timeout(180)
class CloseDuringCallTest {
    @Test
    void closingBuffersUnderAsyncCallsDoesNotCrash() throws Exception {
        ForkedJvm.Result r = ForkedJvm.run(CloseDuringCall.class, Map.of(), 150);
        assertEquals(0, r.exitCode(), r.describe());
        assertTrue(r.lines().contains("done"), r.describe());
    }
}
