package io.jccl.transport;

import io.jccl.InvalidUsageException;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Which ranks share a host: the host of each rank (hosts numbered 0.. in the order of their lowest rank), and
 * from it each rank's local rank (its place among the ranks of its host, in rank order) and the ranks per host.
 * As NCCL's host hash ({@code getHostHash}: hostname and boot id), the rendezvous of comm-net exchanges one host
 * identity per rank and builds this; the in-process transport reports one host, or the layout a test gives it.
 * Hosts may hold different numbers of ranks.
 *
 * <p>The selector reads it to choose hierarchical algorithms ({@link #hierarchical()}), and those algorithms read
 * the groups inside and across hosts from it. Immutable and thread-safe.
 */
public final class HostLayout {
    private final int[] hostOf;
    private final int[][] ranksOn;
    private final int[] localRank;

    private HostLayout(int[] hostOf) {
        this.hostOf = hostOf;
        int hosts = 0;
        for (int h : hostOf) {
            hosts = Math.max(hosts, h + 1);
        }
        int[] counts = new int[hosts];
        this.localRank = new int[hostOf.length];
        for (int r = 0; r < hostOf.length; r++) {
            localRank[r] = counts[hostOf[r]]++;
        }
        this.ranksOn = new int[hosts][];
        for (int h = 0; h < hosts; h++) {
            ranksOn[h] = new int[counts[h]];
        }
        for (int r = 0; r < hostOf.length; r++) {
            ranksOn[hostOf[r]][localRank[r]] = r;
        }
    }

    /** {@code size} ranks on one host. */
    public static HostLayout singleHost(int size) {
        return of(new int[checkSize(size)]);
    }

    /**
     * The layout whose rank {@code r} lives on the host labelled {@code hostLabelOfRank[r]}: equal labels mean one
     * host; the labels themselves are any ints (renumbered in the order of each host's lowest rank).
     *
     * @throws InvalidUsageException for an empty array
     */
    public static HostLayout of(int... hostLabelOfRank) {
        checkSize(hostLabelOfRank.length);
        Map<Integer, Integer> index = new HashMap<>();
        int[] hostOf = new int[hostLabelOfRank.length];
        for (int r = 0; r < hostOf.length; r++) {
            hostOf[r] = index.computeIfAbsent(hostLabelOfRank[r], k -> index.size());
        }
        return new HostLayout(hostOf);
    }

    /**
     * The layout of ranks whose host identities are {@code idOfRank} (equal strings: one host).
     *
     * @throws InvalidUsageException for an empty array or a null identity
     */
    public static HostLayout fromIds(String[] idOfRank) {
        checkSize(idOfRank.length);
        Map<String, Integer> index = new HashMap<>();
        int[] labels = new int[idOfRank.length];
        for (int r = 0; r < labels.length; r++) {
            if (idOfRank[r] == null) {
                throw new InvalidUsageException("rank=" + r + " has no host identity");
            }
            labels[r] = index.computeIfAbsent(idOfRank[r], k -> index.size());
        }
        return of(labels);
    }

    private static int checkSize(int size) {
        if (size < 1) {
            throw new InvalidUsageException("a host layout needs at least one rank, got " + size);
        }
        return size;
    }

    /**
     * The layout of a sub-group: its rank {@code i} is this layout's rank {@code members[i]} (a communicator made by
     * {@code split} sees only its members' hosts).
     */
    public HostLayout restrict(int[] members) {
        int[] labels = new int[members.length];
        for (int i = 0; i < members.length; i++) {
            labels[i] = hostOf[members[i]];
        }
        return of(labels);
    }

    /** Number of ranks. */
    public int size() {
        return hostOf.length;
    }

    /** Number of hosts. */
    public int hosts() {
        return ranksOn.length;
    }

    /** The host of {@code rank}, {@code [0, hosts())}. */
    public int host(int rank) {
        return hostOf[rank];
    }

    /** The place of {@code rank} among the ranks of its host, in rank order. */
    public int localRank(int rank) {
        return localRank[rank];
    }

    /** How many ranks share the host of {@code rank} (itself included). */
    public int localSize(int rank) {
        return ranksOn[hostOf[rank]].length;
    }

    /** The ranks of host {@code host}, ascending (a copy). */
    public int[] ranksOn(int host) {
        return ranksOn[host].clone();
    }

    /** The rank with local rank {@code local} on {@code host}. */
    public int rankAt(int host, int local) {
        return ranksOn[host][local];
    }

    /** True when ranks {@code a} and {@code b} share a host. */
    public boolean sameHost(int a, int b) {
        return hostOf[a] == hostOf[b];
    }

    /** The fewest ranks on any host. */
    public int minLocalSize() {
        int m = Integer.MAX_VALUE;
        for (int[] on : ranksOn) {
            m = Math.min(m, on.length);
        }
        return m;
    }

    /** The most ranks on any host. */
    public int maxLocalSize() {
        int m = 0;
        for (int[] on : ranksOn) {
            m = Math.max(m, on.length);
        }
        return m;
    }

    /**
     * True when a two-level algorithm can differ from a flat one: more than one host, and more than one rank on
     * some host.
     */
    public boolean hierarchical() {
        return hosts() > 1 && maxLocalSize() > 1;
    }

    /** "1 host", "2 hosts x 2 ranks" or "3 hosts (2+1+3 ranks)". */
    public String describe() {
        if (hosts() == 1) {
            return "1 host";
        }
        if (minLocalSize() == maxLocalSize()) {
            return hosts() + " hosts x " + maxLocalSize() + (maxLocalSize() == 1 ? " rank" : " ranks");
        }
        List<String> each = new ArrayList<>();
        for (int[] on : ranksOn) {
            each.add(Integer.toString(on.length));
        }
        return hosts() + " hosts (" + String.join("+", each) + " ranks)";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HostLayout l && Arrays.equals(hostOf, l.hostOf);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(hostOf);
    }

    @Override
    public String toString() {
        return describe() + " " + Arrays.toString(hostOf);
    }
}
