package io.jccl.bench;

import io.jccl.CommConfig;
import io.jccl.Communicator;
import io.jccl.Jccl;
import io.jccl.Knob;
import io.jccl.net.LaunchInfo;
import io.jccl.net.NetCommunicators;
import picocli.CommandLine.Help.Visibility;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The ranks a tool runs on, and its {@code -t} option (a picocli mixin): started by a launcher ({@code RANK} set:
 * {@code bin/jccl-run}, torchrun, srun, mpirun) this process is one rank of the job and joins it over the network
 * ({@link NetCommunicators}, the transport of {@code JCCL_TRANSPORT}); otherwise {@code -t} ranks run as threads of
 * this process ({@link Jccl#runInProcess}).
 *
 * <p>Each tool gives its own default of {@code -t} ({@code @Mixin RankOptions ranks = new RankOptions(2)}). Set by
 * picocli on the main thread; {@link #run} blocks that thread until every rank of this process has returned.
 */
public final class RankOptions {
    @Option(names = {"-t", "--nthreads"}, showDefaultValue = Visibility.ALWAYS,
            description = "ranks as threads of this process when no launcher set RANK")
    int threads;

    /** {@code -t} defaults to {@code defaultThreads}. */
    public RankOptions(int defaultThreads) {
        this.threads = defaultThreads;
    }

    /** {@code -t}: the ranks of an in-process run. */
    public int threads() {
        return threads;
    }

    /** Whether a launcher started this process (then {@code -t} has no effect). */
    public boolean launched() {
        return LaunchInfo.launched();
    }

    /** The ranks of the job: the launcher's world size, else {@code -t}. */
    public int worldSize() {
        return launched() ? LaunchInfo.fromEnvironment().worldSize() : threads;
    }

    /**
     * How a tool names where its ranks run, in its header ({@code where} of {@link RankBody#run}): launched, the
     * communicator's transport description with, by label, nothing more, the knob that chose it, or the number of
     * processes; in-process, "in-process", with the number of threads for {@link #COUNTED}.
     */
    public enum Where {
        /** "shm to 1 peer" / "in-process". */
        PLAIN,
        /** "shm to 1 peer (JCCL_TRANSPORT=auto)" / "in-process". */
        WITH_KNOB,
        /** "shm to 1 peer, 2 processes" / "in-process, 2 threads". */
        COUNTED;

        String launched(Communicator comm) {
            switch (this) {
                case WITH_KNOB: return comm.transportDescription() + " (JCCL_TRANSPORT=" + Knob.TRANSPORT.get() + ")";
                case COUNTED: return comm.transportDescription() + ", " + comm.size() + " processes";
                default: return comm.transportDescription();
            }
        }

        String inProcess(Communicator comm) {
            return this == COUNTED ? "in-process, " + comm.size() + " threads" : "in-process";
        }
    }

    /** A tool's work on one rank. */
    @FunctionalInterface
    public interface RankBody<T> {
        /**
         * Runs on rank {@code comm.rank()}; {@code where} names the transport as the tool's {@link Where} says,
         * {@code out} is {@code System.out} on rank 0 of the job and null on the others.
         */
        T run(Communicator comm, String where, PrintStream out) throws Exception;
    }

    /**
     * Runs {@code body} on this process's ranks with communicators of {@code config} (closed afterwards): the
     * launched rank, or {@code -t} threads. Returns the results of this process's ranks, by rank.
     *
     * @throws Exception what {@code body} throws on a launched rank; from in-process ranks, as
     *                   {@link Jccl#runInProcess} reports them
     */
    public <T> List<T> run(CommConfig config, Where where, RankBody<T> body) throws Exception {
        if (launched()) {
            try (Communicator comm = NetCommunicators.create(LaunchInfo.fromEnvironment(), config)) {
                return Collections.singletonList(body.run(comm, where.launched(comm), comm.rank() == 0 ? System.out : null));
            }
        }
        // a rank that fails aborts the communicator, so that the other threads fail at once rather than at their
        // deadline, and its failure, not theirs (the abort), is what the tool reports
        AtomicReference<Exception> first = new AtomicReference<>();
        try {
            return Jccl.runInProcess(threads, config, comm -> {
                try {
                    return body.run(comm, where.inProcess(comm), comm.rank() == 0 ? System.out : null);
                } catch (Exception e) {
                    if (first.compareAndSet(null, e)) {
                        comm.abort("rank " + comm.rank() + " failed: " + e.getMessage());
                    }
                    throw e;
                } catch (OutOfMemoryError e) {
                    Exception oom = new IllegalStateException("rank " + comm.rank() + " ran out of memory ("
                            + e.getMessage() + "); raise -Xmx or -XX:MaxDirectMemorySize through JCCL_JAVA_OPTS", e);
                    if (first.compareAndSet(null, oom)) {
                        comm.abort(oom.getMessage());
                    }
                    throw oom;
                }
            });
        } catch (RuntimeException e) {
            Exception origin = first.get();
            if (origin != null && origin != e && origin != e.getCause()) {
                throw origin;
            }
            throw e;
        }
    }
}
