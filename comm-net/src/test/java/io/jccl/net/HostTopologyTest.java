package io.jccl.net;

import io.jccl.Algorithm;
import io.jccl.CommConfig;
import io.jccl.DataType;
import io.jccl.InvalidUsageException;
import io.jccl.ReduceOp;
import io.jccl.buffer.HostBuffer;
import io.jccl.check.CheckPattern;
import io.jccl.net.launch.HostIdentity;
import io.jccl.transport.HostLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Host identities exchanged at rendezvous: the layout they make, the check against the launcher's variables, the
 * data path per peer (shared memory inside a fake host, TCP across), and the hierarchical all-reduce over it.
 */
@Timeout(120)
class HostTopologyTest {
    private static CommConfig config(Algorithm a) {
        return CommConfig.builder().algorithm(a).deterministic(false).segmentBytes(256).timeoutMillis(30_000).build();
    }

    @Test
    void launcherVariablesThatContradictTheHostIdentitiesFailNamingRankAndVariable() {
        HostLayout two = HostLayout.fromIds(new String[] {"a", "a", "b", "b"});
        assertDoesNotThrow(() -> HostIdentity.check(two, 3, 1, Map.of("LOCAL_WORLD_SIZE", "2")));
        assertDoesNotThrow(() -> HostIdentity.check(two, 2, -1, Map.of()));
        InvalidUsageException e = assertThrows(InvalidUsageException.class,
                () -> HostIdentity.check(two, 2, 2, Map.of()));
        assertTrue(e.getMessage().contains("rank=2") && e.getMessage().contains("local rank 2")
                && e.getMessage().contains("JCCL_HOST_ID") && e.getMessage().contains("[2, 3]"), e.getMessage());
        e = assertThrows(InvalidUsageException.class,
                () -> HostIdentity.check(two, 0, 0, Map.of("OMPI_COMM_WORLD_LOCAL_SIZE", "4")));
        assertTrue(e.getMessage().contains("4 ranks on this host (OMPI_COMM_WORLD_LOCAL_SIZE)"), e.getMessage());
        assertThrows(InvalidUsageException.class, () -> HostIdentity.check(two, 0, 0, Map.of("LOCAL_WORLD_SIZE", "x")));
    }

    @Test
    void fakeHostsGetSharedMemoryInsideAndTcpAcrossAndHierarchicalIsRight() {
        // ranks 0,1 on host a and 2,3,4 on host b: uneven
        NettyCluster cluster = new NettyCluster("auto", r -> r < 2 ? "host-a" : "host-b");
        List<List<String>> out = cluster.run(5, config(Algorithm.HIERARCHICAL), comm -> {
            List<String> bad = new ArrayList<>();
            String d = comm.transportDescription();
            if (!d.contains("on 2 hosts (2+3 ranks)") || !d.contains("tcp to")) {
                bad.add("rank=" + comm.rank() + " transport " + d);
            }
            for (long count : new long[] {0, 1, 4, 11, 1000, 20_011}) {
                for (DataType t : new DataType[] {DataType.FLOAT32, DataType.BFLOAT16, DataType.INT64}) {
                    for (ReduceOp op : ReduceOp.values()) {
                        for (boolean inPlace : new boolean[] {false, true}) {
                            try (HostBuffer send = HostBuffer.allocate(count, t);
                                 HostBuffer recv = inPlace ? send : HostBuffer.allocate(count, t)) {
                                CheckPattern.fill(send, t, op, comm.rank(), 0, count);
                                comm.allReduce(send, recv, count, t, op);
                                long wrong = CheckPattern.countWrong(recv, t, op, comm.size(), 0, count);
                                if (wrong > 0 || count > 0 && !comm.lastAlgorithm().equals("hier")) {
                                    bad.add("rank=" + comm.rank() + " count=" + count + " " + t + " " + op
                                            + (inPlace ? " in" : " out") + " wrong=" + wrong + " " + comm.lastAlgorithm());
                                }
                            }
                        }
                    }
                }
            }
            return bad;
        });
        List<String> all = new ArrayList<>();
        out.forEach(all::addAll);
        assertTrue(all.isEmpty(), () -> String.join("\n", all.subList(0, Math.min(20, all.size()))));
    }

    @Test
    void autoRunsHierarchicalAcrossTwoHostsOfTwoAtLargeSizes() {
        NettyCluster cluster = new NettyCluster("tcp", r -> "h" + (r / 2));
        List<String> ran = cluster.run(4, config(Algorithm.AUTO), comm -> {
            long count = 1 << 20; // 4 MiB of fp32
            try (HostBuffer b = HostBuffer.allocate(count, DataType.FLOAT32)) {
                CheckPattern.fill(b, DataType.FLOAT32, ReduceOp.SUM, comm.rank(), 0, count);
                comm.allReduce(b, count, DataType.FLOAT32, ReduceOp.SUM);
                return comm.lastAlgorithm() + " wrong="
                        + CheckPattern.countWrong(b, DataType.FLOAT32, ReduceOp.SUM, 4, 0, count);
            }
        });
        assertEquals(List.of("hier wrong=0", "hier wrong=0", "hier wrong=0", "hier wrong=0"), ran);
    }
}
