package io.jccl.net.conformance;

import io.jccl.DataType;
import io.jccl.Knob;
import io.jccl.conformance.AbstractConformanceTest;
import io.jccl.conformance.Cluster;
import io.jccl.net.NettyCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;

import java.util.stream.Stream;

/**
 * The conformance suite over TCP with ranks reading their own sockets for 1 ms of every wait
 * ({@code JCCL_TCP_SPIN_US=1000}), so that most messages are read and decoded by the waiting ranks while the event
 * loops read the rest of the same connections. (With the automatic setting ranks read only at W = 2 here: more ranks
 * than this machine's two cores turn it off.)
 */
@Tag("slow")
class RankReadConformanceTest extends AbstractConformanceTest {
    @BeforeAll
    static void rankReadsOn() {
        System.setProperty(Knob.TCP_SPIN_US.propertyName(), "1000");
    }

    @AfterAll
    static void rankReadsAuto() {
        System.clearProperty(Knob.TCP_SPIN_US.propertyName());
    }

    @Override
    protected Cluster cluster() {
        return new NettyCluster("tcp");
    }

    @Override
    protected Stream<Integer> worldSizes() {
        return Stream.of(2, 3, 4);
    }

    @Override
    protected DataType[] reductionTypes() {
        return new DataType[] {DataType.FLOAT32};
    }
}
