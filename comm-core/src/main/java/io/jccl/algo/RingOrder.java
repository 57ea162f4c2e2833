package io.jccl.algo;

import io.jccl.transport.HostLayout;

/**
 * The order in which the flat rings (all-reduce, all-gather, reduce-scatter) visit the ranks: rank order when that
 * already crosses between hosts only once per host (the ranks of each host consecutive, as launchers number them),
 * else host by host, each host's ranks in rank order and the hosts in the order of their lowest rank, so that the
 * ring has H host-crossing links instead of up to W (NCCL orders its rings by the topology in the same way). For an
 * interleaved layout, 2 hosts of ranks {0, 2} and {1, 3}: rank order crosses hosts 4 times, the ring 0 2 1 3 twice.
 *
 * <p>Every rank computes it from the same layout, so every rank agrees on it, and a ring keeps its property that
 * every rank receives the same bits; the order of reduction (so the bits) follows the ring, so it depends on the
 * layout as well as on W, count and segment size. A sub-communicator's order follows its own layout. Immutable
 * and thread-safe.
 */
public final class RingOrder {
    private final int[] rankAt;
    private final int[] positionOf;

    private RingOrder(int[] rankAt) {
        this.rankAt = rankAt;
        this.positionOf = new int[rankAt.length];
        for (int p = 0; p < rankAt.length; p++) {
            positionOf[rankAt[p]] = p;
        }
    }

    /** The ring of {@code layout}: rank order, or host by host when rank order crosses hosts more than H times. */
    public static RingOrder of(HostLayout layout) {
        int w = layout.size();
        int[] order = new int[w];
        for (int p = 0; p < w; p++) {
            order[p] = p;
        }
        if (crossings(layout, order) > layout.hosts()) {
            int p = 0;
            for (int h = 0; h < layout.hosts(); h++) {
                for (int rank : layout.ranksOn(h)) {
                    order[p++] = rank;
                }
            }
        }
        return new RingOrder(order);
    }

    /** How many links of the ring {@code order} join ranks on different hosts (0 for one host). */
    static int crossings(HostLayout layout, int[] order) {
        int n = 0;
        for (int p = 0; p < order.length; p++) {
            n += layout.sameHost(order[p], order[(p + 1) % order.length]) ? 0 : 1;
        }
        return n;
    }

    /** The number of ranks. */
    public int size() {
        return rankAt.length;
    }

    /** The rank at ring position {@code position}, taken modulo W (so -1 is the last). */
    public int rank(int position) {
        return rankAt[Partition.mod(position, rankAt.length)];
    }

    /** The ring position of {@code rank}. */
    public int position(int rank) {
        return positionOf[rank];
    }

    /** True when the ring visits the ranks in rank order. */
    public boolean isRankOrder() {
        for (int p = 0; p < rankAt.length; p++) {
            if (rankAt[p] != p) {
                return false;
            }
        }
        return true;
    }

    /** How many links of this ring join ranks on different hosts of {@code layout}. */
    public int crossings(HostLayout layout) {
        return crossings(layout, rankAt);
    }
}
