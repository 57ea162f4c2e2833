package io.jccl.algo.select;

import io.jccl.Algorithm;
import io.jccl.CommConfig;
import io.jccl.InvalidUsageException;
import io.jccl.transport.HostLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The two link classes: the bytes each algorithm puts on a host's link, the file, and the selector's choice. */
class HostCostsTest {
    private static final double B = 1e-8; // across: 100 MB/s, no latency
    private static final long N = 1 << 24;

    /** Inside a host free, across hosts only bandwidth: a prediction is the busiest host link's bytes x beta. */
    private static CostModel acrossOnly() {
        return CostModel.uniform(new LinkParams(0, 0, 0)).withAcrossHosts(new LinkParams(0, B, 0));
    }

    private static double bytesAcross(Plan plan, HostLayout hosts) {
        return HostCosts.allReduce(plan, acrossOnly(), N, hosts, 1 << 20) / B;
    }

    @Test
    void twoHostsOfTwoRanks() {
        HostLayout l = HostLayout.of(0, 0, 1, 1);
        assertEquals(1.5 * N, bytesAcross(Plan.RING, l), 1, "the flat ring moves 2(W-1)/W n across: 1.5 n");
        assertEquals(1.0 * N, bytesAcross(Plan.HIERARCHICAL, l), 1, "hier: n");
        assertEquals(2.0 * N * HostCosts.HD_ACROSS_BANDWIDTH_FACTOR, bytesAcross(Plan.HALVING_DOUBLING, l), 1,
                "hd: its first and last steps, n/2 from 2 ranks each (at its measured bandwidth factor)");
        assertEquals(2.0 * N, bytesAcross(Plan.RECURSIVE_DOUBLING, l), 1, "rd: the step at distance 2, n from 2 ranks");
    }

    /** In pieces, hier's phases inside a host overlap its traffic across: the shorter counts 1/P, latencies P times. */
    @Test
    void hierInPiecesOverlapsTheInsideAndTheAcrossPhases() {
        HostLayout l = HostLayout.of(0, 0, 1, 1);
        long n = 64L << 20;
        long seg = 1 << 19;
        CostModel m = CostModel.uniform(new LinkParams(1e-5, 1e-9, 0)).withAcrossHosts(new LinkParams(1e-4, B, 0));
        double inside = 2 * 1e-9 * 0.5 * n; // 2 (L-1)/L n b_in
        double across = 2 * (n / 2.0) * B; // 2 (H-1) n/H b_x
        int p = io.jccl.algo.HierarchicalAllReduce.piecesFor(l, n, seg);
        assertEquals(8, p);
        assertEquals(p * (2 * 1e-5 + 2 * 1e-4) + across + inside / p, HostCosts.allReduce(Plan.HIERARCHICAL, m, n, l,
                seg), 1e-9);
        // one piece below 16 segments: the phases one after the other
        long small = 8 * seg;
        assertEquals(2 * 1e-5 + 2 * 1e-4 + 1e-9 * small / 2.0 * 2 + small * B,
                HostCosts.allReduce(Plan.HIERARCHICAL, m, small, l, seg), 1e-9);
    }

    @Test
    void oneRankPerHostIsTheFlatModelWithTheLinkBetweenHosts() {
        HostLayout l = HostLayout.of(0, 1, 2, 3);
        LinkParams x = new LinkParams(5e-5, B, 0);
        CostModel m = CostModel.uniform(new LinkParams(0, 0, 0)).withAcrossHosts(x);
        for (Plan p : new Plan[] {Plan.RING, Plan.RECURSIVE_DOUBLING}) {
            assertEquals(p.allReduceSeconds(x, N, 4, 1 << 20, false), HostCosts.allReduce(p, m, N, l, 1 << 20),
                    1e-12, p.label());
        }
        LinkParams slower = x.withBeta(B * HostCosts.HD_ACROSS_BANDWIDTH_FACTOR);
        assertEquals(Plan.HALVING_DOUBLING.allReduceSeconds(slower, N, 4, 1 << 20, false),
                HostCosts.allReduce(Plan.HALVING_DOUBLING, m, N, l, 1 << 20), 1e-12, "hd at its bandwidth factor");
    }

    @Test
    void interleavedRanksCrossInTheStepsWherePartnersSitApart() {
        // hosts {0, 2} and {1, 3}: partners at distance 1 are on different hosts, at distance 2 on the same one
        HostTraffic t = HostTraffic.of(HostLayout.of(0, 1, 0, 1));
        assertEquals(2, t.crossAtDistance(1));
        assertEquals(0, t.crossAtDistance(2));
        HostTraffic c = HostTraffic.of(HostLayout.of(0, 0, 1, 1));
        assertEquals(0, c.crossAtDistance(1));
        assertEquals(2, c.crossAtDistance(2));
    }

    @Test
    void oneHostOrNoLinkBetweenHostsIsTheOneClassModel() {
        CostModel m = CostModel.uniform(new LinkParams(2e-5, 1e-9, 1e-10));
        HostLayout two = HostLayout.of(0, 0, 1, 1);
        assertEquals(Plan.TREE.allReduceSeconds(m.base(), N, 4, 1 << 20, false),
                HostCosts.allReduce(Plan.TREE, m, N, two, 1 << 20));
        CostModel x = m.withAcrossHosts(new LinkParams(1e-4, B, 0));
        assertEquals(Plan.RING.allReduceSeconds(m.base(), N, 4, 1 << 20, false),
                HostCosts.allReduce(Plan.RING, x, N, HostLayout.singleHost(4), 1 << 20));
    }

    @Test
    void theSelectorChoosesByBothLinksOnSeveralHosts() {
        CostModel m = CostModel.uniform(new LinkParams(2e-6, 1e-10, 1e-10)).withAcrossHosts(new LinkParams(5e-5, B, 0));
        CommConfig cfg = CommConfig.builder().algorithm(Algorithm.AUTO).deterministic(false).costModel(m).build();
        assertEquals(Plan.HIERARCHICAL, Selector.allReduce(cfg, N, HostLayout.of(0, 0, 1, 1)));
        assertEquals(Plan.RING, Selector.allReduce(cfg, N, HostLayout.of(0, 1, 2, 3)),
                "one rank per host: no hier; hd's bandwidth across hosts is below the ring's");
        assertEquals(Plan.RECURSIVE_DOUBLING, Selector.allReduce(cfg, 8, HostLayout.of(0, 1, 2, 3)),
                "8 B: the fewest latencies");
        CommConfig forced = cfg.toBuilder().algorithm(Algorithm.TREE).build();
        assertEquals(Plan.TREE, Selector.allReduce(forced, N, HostLayout.of(0, 0, 1, 1)));
    }

    @Test
    void theLinkBetweenHostsIsSavedAndRead(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("m.properties");
        CostModel m = CostModel.uniform(new LinkParams(2e-5, 1e-9, 1e-10)).withAcrossHosts(new LinkParams(1e-4, B, 0));
        m.save(f);
        assertEquals(new LinkParams(1e-4, B, 0), CostModel.load(f).acrossHosts());
        CostModel.Large large = new CostModel.Large(65536, 2 * B);
        m.withAcrossHosts(new LinkParams(1e-4, 0, 0), large).save(f);
        CostModel read = CostModel.load(f);
        assertEquals(large, read.acrossLarge());
        assertEquals(new LinkParams(1e-4, 0, 0), read.acrossHosts(65535), "below the large calls' size: the first beta");
        assertEquals(new LinkParams(1e-4, 2 * B, 0), read.acrossHosts(65536));
        assertEquals(2 * B * 1.5 * N, HostCosts.allReduce(Plan.RING,
                CostModel.uniform(new LinkParams(0, 0, 0)).withAcrossHosts(new LinkParams(0, 0, 0), large), N, HostLayout.of(0, 0, 1, 1), 1 << 20), 1e-9);
        CostModel.uniform(new LinkParams(2e-5, 1e-9, 1e-10)).save(f);
        assertNull(CostModel.load(f).acrossHosts());
        assertNull(CostModel.load(f).acrossLarge());
        Files.writeString(f, Files.readString(f) + "across.alpha.seconds=1e-4\n");
        InvalidUsageException e = assertThrows(InvalidUsageException.class, () -> CostModel.load(f));
        assertTrue(e.getMessage().contains("missing key across.beta.seconds.per.byte"), e.getMessage());
        Files.writeString(f, Files.readString(f) + "across.beta.seconds.per.byte=1e-8\nacross.gamma.seconds.per.byte=0\n"
                + "across.delta=1\n");
        e = assertThrows(InvalidUsageException.class, () -> CostModel.load(f));
        assertTrue(e.getMessage().contains("unknown key across.delta"), e.getMessage());
    }

    @Test
    void aLinkBetweenHostsWithoutItsAlphaOrAWorldsBetaWithoutItsAlphaIsRefusedNamingTheKey(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("m.properties");
        CostModel.uniform(new LinkParams(2e-5, 1e-9, 1e-10)).withAcrossHosts(new LinkParams(1e-4, B, 0),
                new CostModel.Large(65536, 2 * B)).save(f);
        String whole = Files.readString(f);
        for (String drop : new String[] {"across.alpha.seconds", "across.beta.seconds.per.byte"}) {
            Files.writeString(f, whole.replaceAll("(?m)^" + drop.replace(".", "\\.") + "=.*$", ""));
            InvalidUsageException e = assertThrows(InvalidUsageException.class, () -> CostModel.load(f), drop);
            assertTrue(e.getMessage().contains("missing key " + drop), e.getMessage());
        }
        Files.writeString(f, whole.replaceAll("(?m)^across\\.(alpha|beta|gamma)\\..*$", ""));
        InvalidUsageException e = assertThrows(InvalidUsageException.class, () -> CostModel.load(f),
                "across.large.* alone was dropped in silence");
        assertTrue(e.getMessage().contains("missing key across.alpha.seconds"), e.getMessage());
        Files.writeString(f, whole + "w.4.beta.seconds.per.byte=1e-9\n");
        e = assertThrows(InvalidUsageException.class, () -> CostModel.load(f));
        assertTrue(e.getMessage().contains("missing key w.4.alpha.seconds"), e.getMessage());
        Files.writeString(f, whole + "across.x\\uZZZZ=1\n");
        e = assertThrows(InvalidUsageException.class, () -> CostModel.load(f), "a malformed escape: not an IllegalArgumentException");
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
    }
}
