package io.jccl.core;

import io.jccl.CommConfig;
import io.jccl.Communicator;
import io.jccl.DataType;
import io.jccl.InvalidUsageException;
import io.jccl.buffer.HostBuffer;
import io.jccl.transport.OpHeader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code split(color, key)} (MPI_Comm_split, ncclCommSplit): every member all-gathers its (color, key); the
 * members of each color, ordered by key then by parent rank, form a child communicator over the parent's
 * transport, whose id every member derives alike from the parent's id, the split's number and the color.
 *
 * <p>Threading: called on the parent's issuing thread (it issues an all-gather).
 */
final class CommSplitter {
    private static final Logger LOG = LoggerFactory.getLogger(CommSplitter.class);

    private final CommGroup group;
    private long splits;

    CommSplitter(CommGroup group) {
        this.group = group;
    }

    /**
     * @return the child communicator, or null for a negative color
     * @throws InvalidUsageException naming the rank when {@code childConfig} is null
     */
    Communicator split(Communicator parent, int color, int key, CommConfig childConfig) {
        int rank = group.rank();
        if (childConfig == null) {
            throw new InvalidUsageException("rank=" + rank + ": split: config must not be null");
        }
        int w = group.size();
        int[] colors = new int[w];
        int[] keys = new int[w];
        try (HostBuffer mine = HostBuffer.allocate(2, DataType.INT32);
             HostBuffer all = HostBuffer.allocate(2L * w, DataType.INT32)) {
            mine.putInt(0, color);
            mine.putInt(1, key);
            parent.allGather(mine, all, 2, DataType.INT32);
            for (int p = 0; p < w; p++) {
                colors[p] = all.getInt(2L * p);
                keys[p] = all.getInt(2L * p + 1);
            }
        }
        long number;
        synchronized (this) {
            number = ++splits;
        }
        if (color < 0) {
            return null;
        }
        List<Integer> members = new ArrayList<>();
        for (int p = 0; p < w; p++) {
            if (colors[p] == color) {
                members.add(p);
            }
        }
        members.sort((a, b) -> keys[a] != keys[b] ? Integer.compare(keys[a], keys[b]) : Integer.compare(a, b));
        int[] childMembers = new int[members.size()];
        int childRank = -1;
        for (int i = 0; i < childMembers.length; i++) {
            childMembers[i] = group.worldRank(members.get(i));
            if (members.get(i) == rank) {
                childRank = i;
            }
        }
        long childId = childId(group.id(), number, color);
        LOG.debug("rank={} split #{} color={} key={}: rank {} of {} in communicator {}", rank, number, color, key,
                childRank, childMembers.length, childId);
        return new DefaultCommunicator(group.transport(), false, childId, childMembers, childRank, childConfig,
                group.job());
    }

    /**
     * The id of the communicator made by split number {@code number} of {@code parent} for {@code color}: a
     * 64-bit mix of the three (the SplitMix64 finalizer), the same on every member, without the point-to-point
     * bit and never 0 or 1 (the world).
     */
    static long childId(long parent, long number, int color) {
        long h = mix(parent + 0x9E3779B97F4A7C15L);
        h = mix(h ^ (number * 0xBF58476D1CE4E5B9L));
        h = mix(h ^ ((color & 0xffffffffL) * 0x94D049BB133111EBL + 1));
        h &= ~OpHeader.P2P_STREAM_BIT;
        return h <= 1 ? h + 2 : h;
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
