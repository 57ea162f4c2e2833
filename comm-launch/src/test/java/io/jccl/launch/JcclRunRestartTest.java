package io.jccl.launch;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code jccl-run --max-restarts 1}: rank 2 of 4 is killed mid-run (SIGKILL); jccl-run stops the others, starts
 * all four again with JCCL_RESTART_COUNT=1, and the job completes.
 */
@Timeout(180)
@Tag("slow")
class JcclRunRestartTest {
    @Test
    void aKilledRankRestartsTheJobOnce() {
        PrintStream stdout = System.out;
        PrintStream stderr = System.err;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream capture = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        int code;
        try {
            System.setOut(capture);
            System.setErr(capture);
            code = new CommandLine(new JcclRun()).setStopAtPositional(true).execute("-n", "4", "--bind-to", "none",
                    "--max-restarts", "1", "--grace-seconds", "2", "--timeout-seconds", "150",
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx128m", "-XX:+UseSerialGC",
                    "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), RestartRank.class.getName());
        } finally {
            System.setOut(stdout);
            System.setErr(stderr);
        }
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, out);
        assertTrue(out.contains("restarting every process (restart 1 of 1, JCCL_RESTART_COUNT=1)"), out);
        for (int r = 0; r < 4; r++) {
            assertTrue(out.contains("[" + r + "] done restart=1 sum=10.0"), "rank " + r + ":\n" + out);
        }
        assertTrue(!out.contains("done restart=0"), out);
    }

    @Test
    void aNegativeMaxRestartsIsRefused() {
        PrintStream stderr = System.err;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int code;
        try {
            System.setErr(new PrintStream(bytes, true, StandardCharsets.UTF_8));
            code = new CommandLine(new JcclRun()).setStopAtPositional(true).execute("-n", "2", "--max-restarts", "-1", "true");
        } finally {
            System.setErr(stderr);
        }
        assertEquals(2, code);
        assertTrue(bytes.toString(StandardCharsets.UTF_8).contains("--max-restarts must be at least 0"));
    }

    @Test
    void aJobThatKeepsFailingGivesUpAfterTheLastRestart() {
        PrintStream stderr = System.err;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int code;
        try {
            System.setErr(new PrintStream(bytes, true, StandardCharsets.UTF_8));
            code = new CommandLine(new JcclRun()).setStopAtPositional(true).execute("-n", "2", "--bind-to", "none",
                    "--max-restarts", "2", "--grace-seconds", "1", "false");
        } finally {
            System.setErr(stderr);
        }
        String err = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(1, code, err);
        assertTrue(err.contains("restarting every process (restart 2 of 2"), err);
        assertTrue(err.contains("jccl-run: giving up after 2 restarts (--max-restarts 2); exit code 1"), err);
    }
}
