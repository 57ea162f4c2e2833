package io.jccl.conformance;

import io.jccl.CommConfig;
import io.jccl.Jccl;

import java.util.List;

/** A way to start W ranks and run the same task on each (in-process threads, Netty in one JVM, ...). */
public interface Cluster {
    <T> List<T> run(int worldSize, CommConfig config, Jccl.RankTask<T> task);

    /** Ranks as threads over the in-process transport. */
    Cluster IN_PROCESS = Jccl::runInProcess;
}
