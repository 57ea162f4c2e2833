package io.jccl.net.launch;

import io.jccl.InvalidUsageException;
import io.jccl.transport.Store;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Rounds of the rendezvous, so that a world built again after a failure (in the same processes, with a
 * replacement, or after a launcher restarted the job) never meets the addresses of an earlier one in the store.
 * Every key of a world lives under {@code jccl/a<restart>/r<round>/}: {@code restart} is the launcher's restart
 * count ({@code JCCL_RESTART_COUNT}, as torchrun's {@code TORCHELASTIC_RESTART_COUNT}), {@code round} the attempt
 * within it. As torch elastic's rendezvous does, a round takes the first W ranks that join it and then is full;
 * a rank that builds its world again closes the round it was in and joins the next one; a new process joins the
 * first round that is neither full nor closed. So survivors and a replacement meet in the same new round.
 *
 * <p>The store identifies itself ({@code jccl/store.id}, set by {@link io.jccl.net.store.TcpStoreServer} when it
 * starts): a process remembers its last round per store, and a store started anew starts again at round 0.
 *
 * <p>Thread-safe.
 */
public final class Rendezvous {
    /** The key under which a store serves its random identity. */
    static final String STORE_ID_KEY = io.jccl.net.store.TcpStoreServer.STORE_ID_KEY;

    /** The round each rank of this process last joined, by (store id, restart count, rank). */
    private static final ConcurrentHashMap<String, Integer> LAST_ROUND = new ConcurrentHashMap<>();

    private Rendezvous() {
    }

    /** The key prefix of round {@code round} of restart {@code restart}. */
    public static String roundPrefix(int restart, int round) {
        return "jccl/a" + restart + "/r" + round + "/";
    }

    /**
     * Claims this rank's place in a round of {@code worldSize} ranks.
     *
     * @return the key prefix of the world's keys in that round, ending in "world/"
     */
    public static String join(Store store, int rank, int worldSize, int restart, long deadlineNanos) {
        String storeId = new String(store.get(STORE_ID_KEY, deadlineNanos), StandardCharsets.UTF_8);
        String memo = storeId + "/" + restart + "/" + rank;
        Integer prev = LAST_ROUND.get(memo);
        int round = 0;
        if (prev != null) {
            store.add(roundPrefix(restart, prev) + "closed", 1); // no new process waits for the round left behind
            round = prev + 1;
        }
        while (true) {
            String p = roundPrefix(restart, round);
            if (store.add(p + "closed", 0) > 0) {
                round++;
                continue;
            }
            long member = store.add(p + "members", 1);
            if (member > worldSize) {
                // full by this rank's world size: a later round, unless the round is of another world size (a host
                // given other --nnodes or -n), which fails now instead of waiting alone in a round of its own
                checkWorldSize(store, p, false, rank, worldSize, deadlineNanos);
                round++;
                continue;
            }
            LAST_ROUND.put(memo, round);
            checkWorldSize(store, p, member == 1, rank, worldSize, deadlineNanos);
            checkRankUnique(store, p, rank, worldSize);
            return p + "world/";
        }
    }

    /**
     * The first rank to join a round records its world size; every other compares its own with it. A rank that
     * differs fails at once and leaves its message where its address would go, so that the ranks waiting for that
     * address fail at once too ({@link #address}), instead of all of them waiting for the deadline.
     *
     * @throws InvalidUsageException naming both world sizes and ranks
     */
    private static void checkWorldSize(Store store, String round, boolean first, int rank, int worldSize,
                                       long deadlineNanos) {
        String key = round + "size";
        if (first) {
            store.set(key, (worldSize + " " + rank).getBytes(StandardCharsets.UTF_8));
            return;
        }
        String[] theirs = new String(store.get(key, deadlineNanos), StandardCharsets.UTF_8).split(" ");
        int theirSize = Integer.parseInt(theirs[0]);
        if (theirSize != worldSize) {
            String why = "rank=" + rank + ": WORLD_SIZE=" + worldSize + " but rank " + theirs[1]
                    + " joined this job first with WORLD_SIZE=" + theirs[0] + ": every process of a job needs the same"
                    + " world size (with bin/jccl-run on several hosts: the same --nnodes and -n on each)";
            refuseUnclaimed(store, round, Math.max(theirSize, worldSize), why);
            throw new InvalidUsageException(why);
        }
    }

    /**
     * Each rank claims its number in the round; a second process with the same number (two hosts launched with the
     * same {@code --node-rank}, a RANK set by hand twice) fails at once, and leaves its message where the addresses
     * of the ranks nobody claimed yet would go: those ranks are missing from the job (the duplicates took their
     * places in the round), so every rank waiting for them fails at once too, instead of at the deadline.
     *
     * @throws InvalidUsageException naming the rank claimed twice
     */
    private static void checkRankUnique(Store store, String round, int rank, int worldSize) {
        if (store.add(round + "rank/" + rank, 1) == 1) {
            return;
        }
        String why = "rank=" + rank + ": another process joined this job as rank " + rank + " first: every process of"
                + " a job needs its own RANK (with bin/jccl-run on several hosts: a different --node-rank on each)";
        refuseUnclaimed(store, round, worldSize, why);
        throw new InvalidUsageException(why);
    }

    /**
     * Leaves {@code why} where the addresses of ranks 0..{@code ranks}-1 that nobody claimed in the round would go:
     * the ranks waiting for them then fail at once, naming it ({@link #address}).
     */
    private static void refuseUnclaimed(Store store, String round, int ranks, String why) {
        byte[] refusal = (REFUSED + why).getBytes(StandardCharsets.UTF_8);
        for (int q = 0; q < ranks; q++) {
            if (store.add(round + "rank/" + q, 0) == 0) {
                store.set(round + "world/addr/" + q, refusal);
            }
        }
    }

    private static final String REFUSED = "!";

    /**
     * Rank {@code peer}'s address entry ("host port") from the world's keys under {@code worldPrefix}, waiting for it.
     *
     * @throws InvalidUsageException when the job cannot start: a rank left a refusal there (its message, named)
     */
    public static String address(Store store, String worldPrefix, int rank, int peer, long deadlineNanos) {
        String v = new String(store.get(worldPrefix + "addr/" + peer, deadlineNanos), StandardCharsets.UTF_8);
        if (v.startsWith(REFUSED)) {
            throw new InvalidUsageException("rank=" + rank + ": the job cannot start (waiting for rank " + peer + "): "
                    + v.substring(REFUSED.length()));
        }
        return v;
    }
}
