package io.jccl.bench;

import io.jccl.Algorithm;
import io.jccl.CommConfig;
import io.jccl.algo.select.CostModel;
import io.jccl.algo.select.Plan;
import io.jccl.algo.select.Selector;
import io.jccl.transport.HostLayout;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two hosts of two ranks on the project's namespace cluster ({@code scripts/netns-cluster.sh}: a bridge, a private
 * /dev/shm and {@code JCCL_HOST_ID} per host, each link shaped to 1 Gbit/s with tc tbf): jccl-perf's all-reduce from
 * 64 KiB to 64 MiB with every row checked, the header naming the layout, and auto running the hierarchical
 * all-reduce at 64 MiB; jccl-tune fitting both links, the one between hosts at its rate. Needs root and network namespaces; skipped otherwise. The cluster is removed afterwards.
 */
@Tag("slow")
@Timeout(300)
class NetnsClusterIT {
    private static NetnsCluster cluster;

    @BeforeAll
    static void makeCluster() throws Exception {
        cluster = NetnsCluster.up("jit", 2, "1gbit");
    }

    @AfterAll
    static void removeCluster() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    /**
     * Runs {@code command} as ranks 0-3, two per host, with the store on host 0 at {@code port} and
     * {@code JCCL_TIMEOUT_MS=timeoutMs}, and waits until every rank has exited 0.
     */
    private static List<NetnsCluster.RankProcess> runFourRanks(String port, String timeoutMs, String... command)
            throws Exception {
        String master = cluster.addr(0, false);
        List<NetnsCluster.RankProcess> ranks = new ArrayList<>();
        for (int r = 0; r < 4; r++) {
            ranks.add(cluster.start(r / 2, Map.of("RANK", Integer.toString(r), "WORLD_SIZE", "4",
                    "LOCAL_RANK", Integer.toString(r % 2), "LOCAL_WORLD_SIZE", "2", "MASTER_ADDR", master,
                    "MASTER_PORT", port, "JCCL_TIMEOUT_MS", timeoutMs, "JCCL_TCP_SPIN_US", "0"), command));
        }
        for (NetnsCluster.RankProcess p : ranks) {
            assertTrue(p.await(240), "a rank did not finish in 240 s:\n" + cluster.outputs());
            assertEquals(0, p.process.exitValue(), "a rank failed:\n" + cluster.outputs());
        }
        return ranks;
    }

    @Test
    void twoHostsOfTwoEveryRowRightAndAutoRunsHierarchicalAtLargeSizes() throws Exception {
        List<NetnsCluster.RankProcess> ranks = runFourRanks("29561", "60000", "bin/jccl-perf", "-b", "64K", "-e", "64M",
                "-f", "4", "-n", "2", "-w", "1", "--jit-warmup-ms", "0");
        String out = ranks.get(0).output();
        assertTrue(out.contains("on 2 hosts x 2 ranks"), "the header names the layout:\n" + out);
        // size count type redop root time algbw busbw #wrong time algbw busbw #wrong algo
        List<String[]> rows = new ArrayList<>();
        for (String line : out.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (!line.startsWith("#") && f.length == 14 && f[0].matches("\\d+")) {
                rows.add(f);
            }
        }
        assertEquals(6, rows.size(), "one row per size from 64 KiB to 64 MiB:\n" + out);
        for (String[] row : rows) {
            assertEquals("0", row[8], "every row right out of place:\n" + out);
            assertEquals("0", row[12], "every row right in place:\n" + out);
        }
        assertEquals("hier", rows.get(5)[13], "auto at 64 MiB:\n" + out);
    }

    @Test
    void jcclTuneFitsBothLinksAndTheLinkBetweenHostsAtItsRate(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("model.properties");
        List<NetnsCluster.RankProcess> ranks = runFourRanks("29563", "120000", "bin/jccl-tune", "-e", "16M",
                "--jit-warmup-ms", "2000", "-o", file.toString());
        CostModel m = CostModel.load(file);
        String out = ranks.get(0).output();
        assertNotNull(m.acrossHosts(), "the link between hosts:\n" + out);
        // 16 MiB calls cross the 1 Gbit/s link at its rate: beta 8e-9 s/B
        double gbps = 8e-9 / m.acrossHosts(16 << 20).betaSecondsPerByte();
        assertTrue(gbps > 0.75 && gbps < 1.35, "the link between hosts at " + gbps + " Gbit/s, shaped to 1:\n" + out);
        assertTrue(m.params(2).betaSecondsPerByte() < m.acrossHosts(16 << 20).betaSecondsPerByte() / 4,
                "the link inside a host (shared memory) is faster than the one between hosts:\n" + out);
        CommConfig auto = CommConfig.builder().algorithm(Algorithm.AUTO).deterministic(false).costModel(m).build();
        assertEquals(Plan.HIERARCHICAL, Selector.allReduce(auto, 64 << 20, HostLayout.of(0, 0, 1, 1)),
                "auto with the fitted model at 64 MiB:\n" + out);
    }
}
