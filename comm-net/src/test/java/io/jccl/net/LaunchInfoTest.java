package io.jccl.net;

import io.jccl.InvalidUsageException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link LaunchInfo#fromEnvironment(Map)} for each launcher's variables. */
@Timeout(10)
class LaunchInfoTest {
    private static Map<String, String> env(String... kv) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    @Test
    void torchrun() {
        LaunchInfo i = LaunchInfo.fromEnvironment(env("RANK", "3", "WORLD_SIZE", "8", "LOCAL_RANK", "1",
                "MASTER_ADDR", "node7", "MASTER_PORT", "29400"));
        assertEquals(new LaunchInfo(3, 8, 1, "node7", 29400, false), i);
    }

    @Test
    void defaults() {
        LaunchInfo i = LaunchInfo.fromEnvironment(env("RANK", "0", "WORLD_SIZE", "1"));
        assertEquals(0, i.rank());
        assertEquals(1, i.worldSize());
        assertEquals(-1, i.localRank());
        assertEquals("127.0.0.1", i.masterAddr());
        assertEquals(LaunchInfo.DEFAULT_MASTER_PORT, i.masterPort());
        assertEquals(29500, i.masterPort());
        assertFalse(i.storeHosted());
        assertEquals("127.0.0.1", LaunchInfo.fromEnvironment(env("RANK", "0", "WORLD_SIZE", "1", "MASTER_ADDR", "  "))
                .masterAddr(), "a blank MASTER_ADDR falls back to the default");
    }

    @Test
    void aNegativeRankOrWorldSizeIsNamedNotTakenForUnset() {
        var e = assertThrows(InvalidUsageException.class,
                () -> LaunchInfo.fromEnvironment(env("RANK", "-1", "WORLD_SIZE", "2")));
        assertTrue(e.getMessage().startsWith("RANK=-1 is negative"), e.getMessage());
        e = assertThrows(InvalidUsageException.class,
                () -> LaunchInfo.fromEnvironment(env("RANK", "0", "WORLD_SIZE", "0")));
        assertTrue(e.getMessage().startsWith("WORLD_SIZE=0 must be at least 1"),
                e.getMessage());
        e = assertThrows(InvalidUsageException.class,
                () -> LaunchInfo.fromEnvironment(env("WORLD_SIZE", "2")));
        assertTrue(e.getMessage().startsWith("RANK is not set"), e.getMessage());
    }

    @Test
    void slurm() {
        LaunchInfo i = LaunchInfo.fromEnvironment(env("SLURM_PROCID", "5", "SLURM_NTASKS", "6", "SLURM_LOCALID", "2",
                "MASTER_ADDR", "10.1.2.3"));
        assertEquals(new LaunchInfo(5, 6, 2, "10.1.2.3", 29500, false), i);
    }

    @Test
    void openMpiAndMpich() {
        assertEquals(new LaunchInfo(2, 4, 0, "127.0.0.1", 29500, false), LaunchInfo.fromEnvironment(env(
                "OMPI_COMM_WORLD_RANK", "2", "OMPI_COMM_WORLD_SIZE", "4", "OMPI_COMM_WORLD_LOCAL_RANK", "0")));
        LaunchInfo pmi = LaunchInfo.fromEnvironment(env("PMI_RANK", "1", "PMI_SIZE", "3"));
        assertEquals(1, pmi.rank());
        assertEquals(3, pmi.worldSize());
        assertEquals(-1, pmi.localRank());
    }

    @Test
    void torchrunNamesWinOverOthers() {
        LaunchInfo i = LaunchInfo.fromEnvironment(env("RANK", "1", "WORLD_SIZE", "2", "LOCAL_RANK", "1",
                "SLURM_PROCID", "7", "SLURM_NTASKS", "16", "SLURM_LOCALID", "3",
                "OMPI_COMM_WORLD_RANK", "9", "OMPI_COMM_WORLD_SIZE", "12", "PMI_RANK", "4", "PMI_SIZE", "5"));
        assertEquals(1, i.rank());
        assertEquals(2, i.worldSize());
        assertEquals(1, i.localRank());
        LaunchInfo s = LaunchInfo.fromEnvironment(env("SLURM_PROCID", "7", "SLURM_NTASKS", "16",
                "OMPI_COMM_WORLD_RANK", "9", "OMPI_COMM_WORLD_SIZE", "12"));
        assertEquals(7, s.rank(), "Slurm before Open MPI");
        assertEquals(16, s.worldSize());
        LaunchInfo blank = LaunchInfo.fromEnvironment(env("RANK", " ", "SLURM_PROCID", "2", "WORLD_SIZE", "4"));
        assertEquals(2, blank.rank(), "a blank variable counts as unset");
    }

    @Test
    void missingRankNamesRank() {
        InvalidUsageException e = assertThrows(InvalidUsageException.class,
                () -> LaunchInfo.fromEnvironment(env("WORLD_SIZE", "4")));
        assertTrue(e.getMessage().contains("RANK"), e.getMessage());
        InvalidUsageException e2 = assertThrows(InvalidUsageException.class, () -> LaunchInfo.fromEnvironment(env()));
        assertTrue(e2.getMessage().contains("RANK"), e2.getMessage());
    }

    @Test
    void missingOrBadWorldSize() {
        InvalidUsageException e = assertThrows(InvalidUsageException.class,
                () -> LaunchInfo.fromEnvironment(env("RANK", "0")));
        assertTrue(e.getMessage().contains("WORLD_SIZE"), e.getMessage());
        InvalidUsageException e2 = assertThrows(InvalidUsageException.class,
                () -> LaunchInfo.fromEnvironment(env("RANK", "4", "WORLD_SIZE", "4")));
        assertTrue(e2.getMessage().contains("RANK=4") && e2.getMessage().contains("WORLD_SIZE=4"), e2.getMessage());
        InvalidUsageException e3 = assertThrows(InvalidUsageException.class,
                () -> LaunchInfo.fromEnvironment(env("RANK", "0", "WORLD_SIZE", "0")));
        assertTrue(e3.getMessage().contains("WORLD_SIZE"), e3.getMessage());
    }

    @Test
    void badIntegersNameTheVariable() {
        InvalidUsageException e = assertThrows(InvalidUsageException.class,
                () -> LaunchInfo.fromEnvironment(env("RANK", "zero", "WORLD_SIZE", "2")));
        assertTrue(e.getMessage().contains("RANK") && e.getMessage().contains("zero"), e.getMessage());
        InvalidUsageException e2 = assertThrows(InvalidUsageException.class,
                () -> LaunchInfo.fromEnvironment(env("RANK", "0", "WORLD_SIZE", "2", "MASTER_PORT", "29500x")));
        assertTrue(e2.getMessage().contains("MASTER_PORT"), e2.getMessage());
        InvalidUsageException e3 = assertThrows(InvalidUsageException.class,
                () -> LaunchInfo.fromEnvironment(env("RANK", "0", "WORLD_SIZE", "2", "MASTER_PORT", "70000")));
        assertTrue(e3.getMessage().contains("MASTER_PORT=70000"), e3.getMessage());
        InvalidUsageException e4 = assertThrows(InvalidUsageException.class,
                () -> LaunchInfo.fromEnvironment(env("SLURM_PROCID", "1.5", "SLURM_NTASKS", "2")));
        assertTrue(e4.getMessage().contains("SLURM_PROCID"), e4.getMessage());
        assertThrows(InvalidUsageException.class, () -> LaunchInfo.fromEnvironment(env("RANK", "-1", "WORLD_SIZE", "2")));
    }

    @Test
    void ipv6MasterAddress() {
        assertEquals("::1", LaunchInfo.fromEnvironment(env("RANK", "0", "WORLD_SIZE", "1", "MASTER_ADDR", "[::1]"))
                .masterAddr());
        assertEquals("fd00::1", LaunchInfo.fromEnvironment(env("RANK", "0", "WORLD_SIZE", "1", "MASTER_ADDR", " fd00::1 "))
                .masterAddr());
        assertEquals("::1", LaunchInfo.stripBrackets("[::1]"));
        assertEquals("[::1", LaunchInfo.stripBrackets("[::1"));
    }

    @Test
    void launcherHostedStore() {
        assertTrue(LaunchInfo.fromEnvironment(env("RANK", "0", "WORLD_SIZE", "2", LaunchInfo.STORE_HOSTED_ENV, "1"))
                .storeHosted());
        assertFalse(LaunchInfo.fromEnvironment(env("RANK", "0", "WORLD_SIZE", "2", LaunchInfo.STORE_HOSTED_ENV, "0"))
                .storeHosted());
    }
}
