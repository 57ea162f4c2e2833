package io.jccl.trace;

import io.jccl.Collective;
import io.jccl.DataType;
import io.jccl.ReduceOp;
import io.jccl.transport.OpHeader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TraceDumpTest {
    @TempDir
    Path dir;

    @Test
    void aDumpReplacesTheEarlierOneAndClearsTemporariesThatAKilledDumpLeft() throws Exception {
        FlightRecorder r = new FlightRecorder(4, 2);
        OpHeader h = new OpHeader(1, 1, Collective.ALL_REDUCE, DataType.FLOAT32, ReduceOp.SUM, -1, 8);
        r.queued(h, "ring", "size thresholds", "host");
        Path stale = Files.writeString(dir.resolve(".jccl-trace123.tmp"), "{\"half");
        Files.setLastModifiedTime(stale, FileTime.from(Instant.now().minus(Duration.ofHours(1))));
        Path fresh = Files.writeString(dir.resolve(".jccl-trace456.tmp"), "{\"being written");

        Path first = TraceDump.write(dir, r, "job", 1, 0, 0, "first");
        r.running(1, System.nanoTime());
        Path second = TraceDump.write(dir, r, "job", 1, 0, 0, "second");

        assertEquals(first, second);
        assertTrue(Files.readString(second).contains("\"why\":\"second\""), "the latest dump replaces the earlier one");
        assertFalse(Files.exists(stale), "a temporary file an hour old is what a killed dump left: deleted");
        assertTrue(Files.exists(fresh), "a fresh temporary file may be another process's dump in progress: kept");
        try (var files = Files.list(dir)) {
            assertEquals(2, files.count(), "the dump and the fresh temporary, nothing else");
        }
    }
}
