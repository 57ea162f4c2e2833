package io.jccl.core;

import io.jccl.CommConfig;
import io.jccl.CommTimeoutException;
import io.jccl.JcclException;
import io.jccl.PeerFailureException;
import io.jccl.transport.OpHeader;
import io.jccl.transport.Progress;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What a failed collective reports: the failure named by operation and sequence number, and after a timeout
 * which ranks never reached the operation (from a status query to every member), as Gloo and NCCL's RAS name
 * the missing ranks. Thread-safe (stateless beyond its group and configuration).
 */
final class FailureReport {
    private final CommGroup group;
    private final CommConfig config;

    FailureReport(CommGroup group, CommConfig config) {
        this.group = group;
        this.config = config;
    }

    /** The failure as reported to the caller: it names the operation and, after a timeout, who is behind. */
    RuntimeException explain(OpHeader header, RuntimeException e) {
        String msg = e.getMessage() == null ? e.toString() : e.getMessage();
        String what = header.describe();
        if (!msg.contains(what)) {
            msg = "rank=" + group.rank() + " " + what + ": " + msg;
        }
        if (e instanceof CommTimeoutException) {
            return new CommTimeoutException(msg + "; " + whoIsBehind(header));
        }
        if (e instanceof PeerFailureException && msg != e.getMessage()) {
            return new PeerFailureException(msg, e);
        }
        return e instanceof JcclException || msg == e.getMessage() ? e : new PeerFailureException(msg, e);
    }

    /** The error of a call made after {@code cause} broke the communicator. */
    static JcclException broken(String what, RuntimeException cause) {
        String msg = what + ": communicator is broken by an earlier failure: " + cause.getMessage();
        return cause instanceof CommTimeoutException ? new CommTimeoutException(msg)
                : new PeerFailureException(msg, cause);
    }

    /**
     * Asks every member how far it got and names those that never entered {@code header}'s operation. It waits at
     * most half of {@link CallIssuer#QUIESCE_MILLIS} (which it shares with the wait for the buffers).
     */
    private String whoIsBehind(OpHeader header) {
        long waitNanos = TimeUnit.MILLISECONDS.toNanos(Math.min(CallIssuer.QUIESCE_MILLIS / 2,
                Math.max(200, config.timeoutMillis() / 4)));
        List<Progress> answers = group.transport().queryProgress(group.id(), group.members(), waitNanos);
        Map<Integer, Progress> byWorld = new HashMap<>();
        for (Progress p : answers) {
            byWorld.put(p.rank(), p);
        }
        List<Integer> behind = new ArrayList<>();
        List<Integer> silent = new ArrayList<>();
        for (int r = 0; r < group.size(); r++) {
            if (r == group.rank()) {
                continue;
            }
            Progress p = byWorld.get(group.worldRank(r));
            if (p == null) {
                silent.add(r);
            } else if (p.seq() < header.seq()) {
                behind.add(r);
            }
        }
        StringBuilder b = new StringBuilder();
        String label = header.collective().label() + " #" + header.seq();
        if (!behind.isEmpty()) {
            b.append(ranks(behind)).append(" never entered ").append(label);
        }
        if (!silent.isEmpty()) {
            if (b.length() > 0) {
                b.append("; ");
            }
            b.append(ranks(silent)).append(" did not answer a status query within ")
                    .append(TimeUnit.NANOSECONDS.toMillis(waitNanos))
                    .append(" ms (dead, frozen, never connected, or busy with its own failure)");
        }
        if (b.length() == 0) {
            b.append("every other rank entered ").append(label);
        }
        return b.toString();
    }

    private static String ranks(List<Integer> rs) {
        StringBuilder b = new StringBuilder(rs.size() == 1 ? "rank " : "ranks ");
        for (int i = 0; i < rs.size(); i++) {
            if (i > 0) {
                b.append(i == rs.size() - 1 ? " and " : ", ");
            }
            b.append(rs.get(i));
        }
        return b.toString();
    }
}
