package io.jccl.ddp;

import java.util.ArrayList;
import java.util.List;

/**
 * Which parameters share a bucket: PyTorch DDP's {@code compute_bucket_assignment_by_size}, pure math.
 *
 * <p>Parameters are taken in the given order (reverse registration order at first, the order in which gradients
 * became ready after a rebuild). Each group (an element type) has one open bucket; a parameter goes into its
 * group's open bucket unless that would take the bucket past {@code capBytes}, in which case the open bucket is
 * closed and a new one started. A parameter of more than {@code capBytes} gets a bucket of its own, as does a
 * parameter marked {@code alone} (a buffer the reducer cannot copy, all-reduced in place). Buckets are numbered
 * by their first parameter's position in the order, which is the order they are all-reduced in.
 *
 * <p>Stateless.
 */
final class BucketAssignment {
    private BucketAssignment() {
    }

    /**
     * @param order    parameter indices, each once
     * @param bytes    bytes of each parameter's gradient (by parameter index)
     * @param group    group of each parameter (parameters of different groups never share a bucket)
     * @param alone    parameters that get a bucket of their own
     * @param capBytes the cap, &gt; 0
     * @return the buckets, each the list of its parameters' indices in order
     */
    static List<int[]> assign(int[] order, long[] bytes, int[] group, boolean[] alone, long capBytes) {
        if (capBytes <= 0) {
            throw new IllegalArgumentException("capBytes=" + capBytes + ": must be > 0");
        }
        int groups = 0;
        for (int g : group) {
            groups = Math.max(groups, g + 1);
        }
        List<List<Integer>> buckets = new ArrayList<>();
        int[] open = new int[groups];
        long[] openBytes = new long[groups];
        java.util.Arrays.fill(open, -1);
        for (int p : order) {
            if (alone[p]) {
                buckets.add(new ArrayList<>(List.of(p)));
                continue;
            }
            int g = group[p];
            if (open[g] >= 0 && openBytes[g] + bytes[p] > capBytes) {
                open[g] = -1;
            }
            if (open[g] < 0) {
                open[g] = buckets.size();
                openBytes[g] = 0;
                buckets.add(new ArrayList<>());
            }
            buckets.get(open[g]).add(p);
            openBytes[g] += bytes[p];
            if (openBytes[g] >= capBytes) {
                open[g] = -1;
            }
        }
        List<int[]> out = new ArrayList<>(buckets.size());
        for (List<Integer> b : buckets) {
            out.add(b.stream().mapToInt(Integer::intValue).toArray());
        }
        return out;
    }
}
