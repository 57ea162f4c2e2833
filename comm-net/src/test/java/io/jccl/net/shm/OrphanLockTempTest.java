package io.jccl.net.shm;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A rank killed between making its job's lock file and publishing it leaves {@code jccl-<job>-lock.tmp-<pid>-<n>}
 * and no lock file; the next job's clean-up removes it once that pid is gone, and leaves a live process's alone.
 */
class OrphanLockTempTest {
    @Test
    void aDeadProcesssUnpublishedLockFileIsRemovedAndALiveOnesIsNot() throws Exception {
        Path shm = Path.of("/dev/shm");
        assumeTrue(Files.isDirectory(shm) && Files.isWritable(shm), "no writable /dev/shm on this machine");
        long dead = 4_000_000_000L; // above any pid_max
        Path orphan = shm.resolve("jccl-0rphan0rphan0000-lock.tmp-" + dead + "-1f");
        Path live = shm.resolve("jccl-0rphan0rphan0001-lock.tmp-" + ProcessHandle.current().pid() + "-1f");
        Files.createFile(orphan);
        Files.createFile(live);
        try {
            ShmCleanup.removeDeadJobs();
            assertFalse(Files.exists(orphan), "the dead process's temporary lock file is removed");
            assertTrue(Files.exists(live), "a live process's is kept (it is about to publish it)");
        } finally {
            Files.deleteIfExists(orphan);
            Files.deleteIfExists(live);
        }
    }
}
