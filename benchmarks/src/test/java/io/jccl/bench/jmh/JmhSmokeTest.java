package io.jccl.bench.jmh;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

import java.util.Collection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One tiny fork-less iteration of the collective suite: the generated benchmark, RankDriver and the secondary results. */
@Timeout(120)
class JmhSmokeTest {
    @Test
    void collectiveBenchmarkReportsAlgbwAndBusbw() throws Exception {
        Options o = new OptionsBuilder().include(CollectiveBenchmark.class.getSimpleName())
                .param("algo", "ring").param("bytes", "4096").param("w", "2").param("transport", "local")
                .forks(0).warmupIterations(0).measurementIterations(1).measurementTime(TimeValue.milliseconds(200))
                .shouldFailOnError(true).verbosity(VerboseMode.SILENT).build();   // no JMH banner in the build's output
        // a benchmark run elsewhere on the machine holds JMH's lock; this fork-less smoke run does not time anything
        System.setProperty("jmh.ignoreLock", "true");
        Collection<RunResult> results = new Runner(o).run();
        assertEquals(1, results.size());
        RunResult r = results.iterator().next();
        double ops = r.getPrimaryResult().getScore();
        double busbw = r.getSecondaryResults().get("busbw").getScore();
        double algbw = r.getSecondaryResults().get("algbw").getScore();
        assertTrue(ops > 0, "all-reduces per second " + ops);
        assertEquals(ops * 4096 / 1e9, algbw, algbw * 1e-6, "algbw = bytes x calls per second");
        assertEquals(algbw, busbw, busbw * 1e-9, "W=2: busbw = algbw x 2(W-1)/W = algbw");
    }
}
