package io.jccl.bench.jmh;

import io.jccl.Knob;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

import java.util.Collection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One tiny fork-less iteration of each suite whose ranks are threads ({@link RankBenchmark}): the generated benchmark,
 * the ranks' start and stop, and for the collective suite the secondary results.
 */
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

    /** Each other rank suite at a small size over the in-process transport: its ranks start, run and stop. */
    @ParameterizedTest
    @ValueSource(strings = {
        "CoalescedBenchmark mode=coalesced tensors=4 tensorBytes=64",
        "HeapArrayBenchmark memory=array bytes=4096",
        "FlightRecorderBenchmark recorder=on bytes=8",
        "StagingBenchmark mode=pipelined bytes=65536 copyGBps=10",
        "ReducerWireBenchmark wire=bf16 part=step bytes=65536 segmentBytes=16384",
        "TrainingStepBenchmark params=4096 flops=1e6 bucketBytes=8192 part=step"})
    void rankSuiteRuns(String spec) throws Exception {
        String[] words = spec.split(" ");
        ChainedOptionsBuilder b = new OptionsBuilder().include(words[0] + ".")
                .param("w", "2").param("transport", "local")
                .forks(0).warmupIterations(0).measurementIterations(1).measurementTime(TimeValue.milliseconds(100))
                .shouldFailOnError(true).verbosity(VerboseMode.SILENT);
        for (int i = 1; i < words.length; i++) {
            String[] kv = words[i].split("=");
            b.param(kv[0], kv[1]);
        }
        System.setProperty("jmh.ignoreLock", "true");
        try {
            Collection<RunResult> results = new Runner(b.build()).run();
            assertEquals(1, results.size(), spec);
            double score = results.iterator().next().getPrimaryResult().getScore();
            assertTrue(score > 0, spec + ": time per operation " + score);
        } finally {
            System.clearProperty(Knob.TRACE_BUFFER.propertyName());   // FlightRecorderBenchmark sets it in this JVM
        }
    }
}
