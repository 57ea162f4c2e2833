package io.jccl.bench.jmh;

import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.OutputTimeUnit;

import java.util.concurrent.TimeUnit;

/**
 * A {@link RankBenchmark} of buffers of tens of MiB per rank: scores in milliseconds, and the forked JVM starts with
 * a 1 GiB heap (instead of 512 MiB) so that the ranks' arrays and staging do not grow it during the run. Otherwise
 * as {@link RankBenchmark}.
 */
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseParallelGC", "-Xms1g",
        "--add-opens", "java.base/java.nio=ALL-UNNAMED", "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
        "-Dio.netty.tryReflectionSetAccessible=true"})
public abstract class LargeRankBenchmark extends RankBenchmark {
}
