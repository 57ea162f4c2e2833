package io.jccl.net.conformance;

import io.jccl.DataType;
import io.jccl.conformance.AbstractConformanceTest;
import io.jccl.conformance.Cluster;
import io.jccl.net.NettyCluster;
import org.junit.jupiter.api.Tag;

import java.util.stream.Stream;

/**
 * The conformance suite with DATA through shared memory (JCCL_TRANSPORT=shm): W ranks in this JVM, every pair on
 * one host, so every link's data goes through /dev/shm rings while the TCP connections carry the rest.
 */
@Tag("slow")
class ShmConformanceTest extends AbstractConformanceTest {
    @Override
    protected Cluster cluster() {
        return new NettyCluster("shm");
    }

    @Override
    protected Stream<Integer> worldSizes() {
        return Stream.of(2, 3, 4);
    }

    @Override
    protected DataType[] reductionTypes() {
        return new DataType[] {DataType.FLOAT16, DataType.FLOAT32, DataType.INT64};
    }
}
