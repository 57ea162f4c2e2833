package io.jccl.net.conformance;

import io.jccl.DataType;
import io.jccl.conformance.AbstractConformanceTest;
import io.jccl.conformance.Cluster;
import io.jccl.net.NettyCluster;
import org.junit.jupiter.api.Tag;

import java.util.stream.Stream;

/**
 * The conformance suite over the Netty TCP transport: W ranks in this JVM, each with its own connections.
 * Covers W = 1, 2, 3, 4, 5 and 8 (odd, even, powers of two and worlds that halving-doubling folds) and three
 * element types of the reductions, to keep the run near a minute on two cores; the in-process run covers every
 * W from 1 to 8 and every type with the same cases.
 */
@Tag("slow")
class NettyConformanceTest extends AbstractConformanceTest {
    @Override
    protected Cluster cluster() {
        return new NettyCluster();
    }

    @Override
    protected Stream<Integer> worldSizes() {
        return Stream.of(1, 2, 3, 4, 5, 8);
    }

    /**
     * Three element widths, half and single precision and an integer (the kernels for every type are the
     * in-process run's business; the data-movement tests here still cover 1-byte elements).
     */
    @Override
    protected DataType[] reductionTypes() {
        return new DataType[] {DataType.FLOAT16, DataType.FLOAT32, DataType.INT64};
    }
}
