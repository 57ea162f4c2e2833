package io.jccl.algo;

import io.jccl.transport.HostLayout;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** How many pieces the hierarchical all-reduce pipelines: only where a phase inside a host can overlap the link. */
class HierarchicalPiecesTest {
    @Test
    void piecesOfAtLeastEightSegmentsUpToEightWhereHostsHaveSeveralRanks() {
        HostLayout twoByTwo = HostLayout.of(0, 0, 1, 1);
        int seg = 131072; // 512 KiB of fp32, the default segment
        assertEquals(1, HierarchicalAllReduce.pieces(twoByTwo, 8L * seg - 1, seg));
        assertEquals(1, HierarchicalAllReduce.pieces(twoByTwo, 8L * seg, seg));
        assertEquals(2, HierarchicalAllReduce.pieces(twoByTwo, 16L * seg, seg), "8 MiB of fp32: two 4 MiB pieces");
        assertEquals(8, HierarchicalAllReduce.pieces(twoByTwo, 16L << 20, seg), "64 MiB of fp32: eight");
        assertEquals(8, HierarchicalAllReduce.pieces(twoByTwo, 1L << 40, seg), "never more than eight");
        assertEquals(1, HierarchicalAllReduce.pieces(HostLayout.of(0, 1, 2, 3), 16L << 20, seg),
                "one rank per host: nothing inside a host to overlap");
        assertEquals(1, HierarchicalAllReduce.pieces(HostLayout.singleHost(4), 16L << 20, seg), "one host");
        assertEquals(8, HierarchicalAllReduce.pieces(HostLayout.of(0, 0, 1), 16L << 20, seg), "uneven hosts");
    }
}
