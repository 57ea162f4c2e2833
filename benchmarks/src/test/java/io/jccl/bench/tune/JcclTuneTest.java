package io.jccl.bench.tune;

import io.jccl.algo.select.CostModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** jccl-tune on two in-process ranks writes a model that loads back with a W=2 entry. */
@Timeout(120)
class JcclTuneTest {
    @Test
    void tunesTwoInProcessRanksAndSavesALoadableModel(@TempDir Path dir) {
        Path file = dir.resolve("m.properties");
        int code = new CommandLine(new JcclTune()).execute("-t", "2", "-o", file.toString(), "-b", "8", "-e", "64K",
                "-n", "5", "--reps", "1", "--jit-warmup-ms", "0", "--max-seconds-per-size", "0.02");
        assertEquals(0, code);
        CostModel m = CostModel.load(file);
        assertTrue(m.byWorld().containsKey(2), "W=2 fitted: " + m);
        assertTrue(m.params(2).alphaSeconds() > 0 || m.params(2).betaSecondsPerByte() > 0, "something was fitted: " + m);
        assertTrue(m.base().gammaSecondsPerByte() > 0, "the kernel was timed");
        assertEquals("in-process", m.info().get("transport"));
    }

    @Test
    void anOutputThatCannotBeWrittenIsRefusedBeforeAnyProbe(@TempDir Path dir) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> JcclTune.checkWritable(dir));
        assertTrue(e.getMessage().contains("it is a directory"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> JcclTune.checkWritable(dir.resolve("no/such/m.properties")));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
        JcclTune.checkWritable(dir.resolve("m.properties")); // a new file in an existing folder is fine
    }
}
