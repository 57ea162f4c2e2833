package io.jccl.net.shm;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One ring file opened by two ranks: both must agree on its geometry. */
@Timeout(60)
class ShmRingTest {
    @Test
    void ranksWithDifferentRingSettingsAreRefusedClearly() throws Exception {
        Path p = Shm.DIR.resolve("jccl-" + Shm.newJobId() + "-geometry-test");
        try {
            ShmRing.open(p, 4, 4096, false);
            io.jccl.InvalidUsageException e = assertThrows(io.jccl.InvalidUsageException.class,
                    () -> ShmRing.open(p, 8, 4096, true));
            assertTrue(e.getMessage().contains("JCCL_SHM_SLOTS"), e.getMessage());
        } finally {
            Files.deleteIfExists(p);
        }
    }
}
