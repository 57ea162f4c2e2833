package io.jccl.safety;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** What {@link FailureScenario}'s output must show for each case. */
public final class FailureChecks {
    private static final Pattern LINE = Pattern.compile("rep=(\\d+) rank=(\\d+) (?:ms=(\\d+) )?(.*)");

    private FailureChecks() {
    }

    /** Every rank of every repetition failed naming both counts, within {@code maxMs}. */
    public static void assertMismatch(ForkedJvm.Result r, int world, int reps, int count, long maxMs) {
        checkEach(r, world, reps, (rank, ms, rest) -> {
            assertTrue(rest.startsWith("error=PeerFailureException"), rest);
            assertTrue(rest.contains("count=" + count) && rest.contains("count=" + (count + 2)),
                    "rank " + rank + " must name both counts: " + rest);
            assertTrue(ms <= maxMs, "rank " + rank + " took " + ms + " ms: " + rest);
        });
    }

    /** Every rank but the last (which skipped) failed with a timeout or the abort that the first timeout sent. */
    public static void assertTimeout(ForkedJvm.Result r, int world, int reps) {
        checkEach(r, world, reps, (rank, ms, rest) -> {
            if (rank == world - 1) {
                assertEquals("skipped", rest);
                return;
            }
            // a rank that never connected to the last one cannot ask it (the ring links neighbours only)
            // the last rank is named alone or last in a list ("ranks 0, 4 and 7 did not answer" on a loaded machine)
            assertTrue(rest.contains("timed out") && rest.matches("(?s).*\\branks? (\\d+, )*(\\d+ and )?" + (world - 1)
                    + " (never entered|did not answer).*"), "rank " + rank + ": " + rest);
            assertTrue(!rest.contains("tag=") && rest.contains(" step "), "the transfer is named, not its raw tag: "
                    + rest);
        });
    }

    /** Every rank failed naming the abort, within {@code maxMs}. */
    public static void assertAbort(ForkedJvm.Result r, int world, int reps, long maxMs) {
        checkEach(r, world, reps, (rank, ms, rest) -> {
            assertTrue(rest.startsWith("error=PeerFailureException"), rest);
            assertTrue(rest.contains("rank=" + (world - 1) + " aborted the communicator: stop"), rest);
            assertTrue(!rest.contains("aborted the communicator: rank="), "a repeated prefix: " + rest);
            assertTrue(ms <= maxMs, "rank " + rank + " took " + ms + " ms: " + rest);
        });
    }

    interface RankCheck {
        void check(int rank, long ms, String rest);
    }

    private static void checkEach(ForkedJvm.Result r, int world, int reps, RankCheck check) {
        assertEquals(0, r.exitCode(), r.describe());
        assertTrue(r.lines().contains("done"), r.describe());
        assertTrue(r.lines().contains("native=true") || !nativeBuilt(), "the native kernels must be on: " + r.describe());
        int seen = 0;
        for (String line : r.lines()) {
            Matcher m = LINE.matcher(line);
            if (!m.matches()) {
                continue;
            }
            seen++;
            int rank = Integer.parseInt(m.group(2));
            long ms = m.group(3) == null ? 0 : Long.parseLong(m.group(3));
            try {
                check.check(rank, ms, m.group(4));
            } catch (AssertionError e) {
                fail("repetition " + m.group(1) + ": " + e.getMessage());
            }
        }
        assertEquals(world * reps, seen, r.describe());
    }

    /** True when the build produced the native host kernels (gcc present). */
    private static boolean nativeBuilt() {
        return FailureChecks.class.getClassLoader().getResource("linux-x86-64/libjcclhost.so") != null;
    }
}
