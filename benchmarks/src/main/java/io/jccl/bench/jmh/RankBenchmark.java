package io.jccl.bench.jmh;

import io.jccl.Algorithm;
import io.jccl.CommConfig;
import io.jccl.Communicator;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The JMH state of a benchmark whose operation is one call on W ranks that are threads of the benchmark JVM: at
 * trial setup it starts the ranks ({@link RankDriver}) with each rank's {@link #body}, {@link #runOnce()} runs rank 0's
 * body once (the {@code @Benchmark} method of the subclass calls it), and at trial teardown it stops the ranks, then
 * closes what the bodies handed to {@link #own}.
 *
 * <p>A subclass declares the JMH parameters {@code w} (world size W) and {@code transport} ({@code local},
 * {@code tcp} or {@code shm}, as {@link RankDriver} takes it), each with its own default; this class reads their
 * values from JMH. The run settings below (one fork with these JVM options, 3 warm-up and 5 measured iterations of
 * 2 s, average time in microseconds) are those of most such benchmarks; JMH reads a superclass's annotations, and a
 * subclass annotates only what it changes.
 *
 * <p>Threading: setup, {@link #runOnce()} and teardown run on the JMH thread; {@link #body} runs on it too, once per
 * rank; the bodies it returns run on the ranks' threads; {@link #own} may be called from any thread.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseParallelGC", "-Xms512m",
        "--add-opens", "java.base/java.nio=ALL-UNNAMED", "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
        "-Dio.netty.tryReflectionSetAccessible=true"})
public abstract class RankBenchmark {
    private final List<AutoCloseable> owned = new ArrayList<>();
    private RankDriver driver;

    /** The communicators' settings, read once at setup before any rank starts; by default the knobs'. */
    CommConfig config() {
        return CommConfig.fromKnobs();
    }

    /** The settings of a suite that times one algorithm: {@code algorithm} forced, deterministic mode off. */
    static CommConfig forcing(Algorithm algorithm) {
        return CommConfig.builder().algorithm(algorithm).deterministic(false).build();
    }

    /** What rank {@code comm.rank()} runs per operation; called once per rank at setup. */
    abstract RankDriver.Body body(Communicator comm);

    /**
     * Starts W ranks over the transport of the JMH parameters {@code w} and {@code transport}.
     *
     * @throws IllegalArgumentException when the subclass lacks either parameter or the transport is unknown
     */
    @Setup(Level.Trial)
    public void startRanks(BenchmarkParams params) {
        String w = params.getParam("w");
        String transport = params.getParam("transport");
        if (w == null || transport == null) {
            throw new IllegalArgumentException(getClass().getSimpleName() + " must declare the JMH parameters w and"
                    + " transport");
        }
        driver = new RankDriver(transport, Integer.parseInt(w), config(), this::body);
    }

    /** Runs rank 0's body once; the other ranks run theirs at the same time. */
    final void runOnce() throws Exception {
        driver.step();
    }

    /** Closes {@code c} at teardown, after the ranks have stopped; returns it. */
    final <T extends AutoCloseable> T own(T c) {
        synchronized (owned) {
            owned.add(c);
        }
        return c;
    }

    /** Stops the ranks, then closes what they own. */
    @TearDown(Level.Trial)
    public void stopRanks() throws Exception {
        driver.close();
        synchronized (owned) {
            for (AutoCloseable c : owned) {
                c.close();
            }
            owned.clear();
        }
    }
}
