package io.jccl.net.conformance;

import io.jccl.conformance.AbstractConformanceTest;
import io.jccl.conformance.Cluster;
import io.jccl.net.NettyCluster;

import java.util.stream.Stream;

/**
 * The conformance suite over the Netty TCP transport: W ranks in this JVM, each with its own connections.
 * Covers W = 1, 2, 3, 4, 5 and 8 (odd, even, a power of two with and without folding) to keep the run short;
 * the in-process run covers every W from 1 to 8 with the same cases.
 */
class NettyConformanceTest extends AbstractConformanceTest {
    @Override
    protected Cluster cluster() {
        return new NettyCluster();
    }

    @Override
    protected Stream<Integer> worldSizes() {
        return Stream.of(1, 2, 3, 4, 5, 8);
    }
}
