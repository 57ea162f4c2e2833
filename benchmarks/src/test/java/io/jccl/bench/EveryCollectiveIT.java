package io.jccl.bench;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End to end: {@code bin/jccl-run} starts 3 JVMs that run {@code bin/jccl-perf -C all} over Netty TCP on
 * loopback, one table per collective (all_reduce, reduce_scatter, all_gather, broadcast, reduce, gather, scatter,
 * alltoall, barrier, sendrecv) over a short sweep; every collective's table must have every row, with #wrong 0 for
 * both placements.
 */
@Timeout(180)
@Tag("slow")
class EveryCollectiveIT {
    private static final List<String> COLLECTIVES = List.of("all_reduce", "reduce_scatter", "all_gather", "broadcast",
            "reduce", "gather", "scatter", "alltoall", "barrier", "sendrecv");

    /** Rank 0's table rows by collective, from the "# jccl-perf NAME:" line that opens each table. */
    private static Map<String, List<String[]>> tables(String output) {
        Map<String, List<String[]>> out = new LinkedHashMap<>();
        List<String[]> current = null;
        for (String line : output.lines().toList()) {
            if (!line.startsWith("[0] ")) {
                continue;
            }
            String l = line.substring(4).trim();
            if (l.startsWith("# jccl-perf ")) {
                String name = l.substring("# jccl-perf ".length(), l.indexOf(':'));
                current = new ArrayList<>();
                out.put(name, current);
            } else if (!l.startsWith("#") && current != null) {
                current.add(l.split("\\s+"));
            }
        }
        return out;
    }

    @Test
    void threeProcessesEveryCollectiveEveryRowCorrect() throws Exception {
        LaunchedJob job = LaunchedJob.run(150, "bin/jccl-run", "-n", "3", "bin/jccl-perf", "-C", "all", "-b", "8",
                "-e", "64K", "-f", "8", "-n", "2", "-w", "1", "--jit-warmup-ms", "0", "-r", "2");
        assertEquals(0, job.exitCode, job.output);
        Map<String, List<String[]>> tables = tables(job.output);
        assertEquals(COLLECTIVES, new ArrayList<>(tables.keySet()), job.output);
        long[] sizes = {8, 64, 512, 4096, 32768, 65536};
        for (String c : COLLECTIVES) {
            List<String[]> rows = tables.get(c);
            assertEquals(sizes.length, rows.size(), c + "\n" + job.output);
            for (int i = 0; i < rows.size(); i++) {
                String[] r = rows.get(i);
                assertEquals(14, r.length, c + " row " + i + "\n" + job.output);
                long size = Long.parseLong(r[0]);
                assertTrue(size <= sizes[i] && size > sizes[i] - 12 || c.equals("barrier") && size == 0,
                        c + " row " + i + " size " + size + "\n" + job.output);
                assertEquals("0", r[8], c + " out-of-place #wrong, row " + i + "\n" + job.output);
                assertEquals("0", r[12], c + " in-place #wrong, row " + i + "\n" + job.output);
            }
        }
        assertEquals(COLLECTIVES.size(), job.output.lines().filter(l -> l.contains("# Out of bounds values : 0 OK")).count(),
                job.output);
    }
}
