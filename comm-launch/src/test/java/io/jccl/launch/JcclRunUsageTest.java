package io.jccl.launch;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** jccl-run names an unknown option before the options it lacks ({@code jccl-run --bogus} lacks -n too). */
class JcclRunUsageTest {
    private static String unknown(String... args) {
        return JcclRun.unknownOption(new CommandLine(new JcclRun()), args);
    }

    @Test
    void anUnknownOptionBeforeTheCommandIsNamed() {
        assertEquals("--bogus", unknown("--bogus"));
        assertEquals("--bogus", unknown("-n", "2", "--bogus"));
        assertEquals("--bogus=3", unknown("-n2", "--nnodes=1", "--bogus=3", "true"));
        assertEquals("-x", unknown("--master-port", "5", "-x"));
    }

    @Test
    void knownOptionsAndTheCommandsOwnArgumentsAreNot() {
        assertNull(unknown("-n", "2", "bin/jccl-perf", "--bogus"));
        assertNull(unknown("-n2", "--nnodes=1", "--", "-x"));
        assertNull(unknown());
    }
}
