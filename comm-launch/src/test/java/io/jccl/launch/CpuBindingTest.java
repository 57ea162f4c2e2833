package io.jccl.launch;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CpuBindingTest {
    @Test
    void parsesLinuxCpuLists() {
        assertEquals(List.of(0, 1), CpuBinding.parseList("0-1"));
        assertEquals(List.of(3), CpuBinding.parseList(" 3\n"));
        assertEquals(List.of(0, 1, 2, 3, 8, 10, 11), CpuBinding.parseList("0-3,8,10-11"));
    }

    @Test
    void rejectsTextThatIsNotACpuList() {
        for (String bad : new String[] {"", "a", "3-1", "1-2-3", "-1", "0,,1"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CpuBinding.parseList(bad), bad);
            assertTrue(e.getMessage().contains("not a CPU list"), e.getMessage());
        }
    }

    @Test
    void thisProcessMayRunOnAtLeastOneCpu() {
        List<Integer> cpus = CpuBinding.allowedCpus();
        assertFalse(cpus.isEmpty(), "Cpus_allowed_list of /proc/self/status");
        assertTrue(cpus.size() <= 4096);
    }

    @Test
    void boundCommandRunsTheCommandUnderTaskset() {
        assertEquals(List.of("/usr/bin/taskset", "-c", "5", "java", "-version"),
                CpuBinding.bound(Path.of("/usr/bin/taskset"), 5, List.of("java", "-version")));
    }

    @Test
    void aCommandThatCannotRunIsNamedBeforeTasksetRunsIt() {
        assertEquals(null, CpuBinding.cannotRun("sh"));
        assertEquals(null, CpuBinding.cannotRun("/bin/sh"));
        assertEquals("No such file or directory", CpuBinding.cannotRun("bin/no-such-tool"));
        assertEquals("not found on the PATH", CpuBinding.cannotRun("no-such-tool-on-the-path"));
        assertTrue(CpuBinding.cannotRun("/").startsWith("Permission denied"));
    }
}
