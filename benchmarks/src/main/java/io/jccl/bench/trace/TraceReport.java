package io.jccl.bench.trace;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The diagnosis of one communicator from every rank's dump, as PyTorch's flight-recorder analyser makes it: the
 * first operation where ranks disagree (some rank never entered it, or ranks called it with other arguments),
 * which ranks, and how far each got; else the first operation that failed, else that all ranks agree.
 */
final class TraceReport {
    private TraceReport() {
    }

    /**
     * @param dumps the dumps of one communicator, any ranks
     * @return the report's lines; the first says what was found
     */
    static List<String> analyse(List<RankDump> dumps) {
        TreeMap<Integer, RankDump> byRank = new TreeMap<>();
        int size = 0;
        for (RankDump d : dumps) {
            byRank.put(d.rank(), d);
            size = Math.max(size, d.size());
        }
        List<Integer> noDump = new ArrayList<>();
        for (int r = 0; r < size; r++) {
            if (!byRank.containsKey(r)) {
                noDump.add(r);
            }
        }
        List<String> out = patterns(byRank, noDump, size);
        String blame = blame(byRank, noDump);
        if (blame != null) {
            out.add(0, blame);
        }
        for (RankDump d : dumps) {
            if (d.size() != size) {
                out.add("warning: " + d.file() + " says world size " + d.size() + ", others " + size
                        + " (dumps of different jobs?)");
            }
        }
        return out;
    }

    /**
     * The ranks that left no dump but that the others' errors name (a dead, frozen or stopped rank cannot dump): the
     * likeliest cause, whatever the dumps that exist show; null when there is none.
     */
    private static String blame(TreeMap<Integer, RankDump> byRank, List<Integer> noDump) {
        List<Integer> named = new ArrayList<>();
        List<Integer> naming = new ArrayList<>();
        for (int r : noDump) {
            java.util.regex.Pattern p = java.util.regex.Pattern.compile("(peer=" + r + "\\b|\\branks? ([0-9]+, )*([0-9]+ and )?"
                    + r + "\\b)");
            boolean hit = false;
            for (RankDump d : byRank.values()) {
                String e = d.lastError();
                if (e != null && p.matcher(e).find()) {
                    hit = true;
                    if (!naming.contains(d.rank())) {
                        naming.add(d.rank());
                    }
                }
            }
            if (hit) {
                named.add(r);
            }
        }
        if (named.isEmpty()) {
            return null;
        }
        java.util.Collections.sort(naming);
        return "likely cause: " + ranks(named) + " left no dump (dead, frozen, or stopped before it could write one) and "
                + "the errors of " + ranks(naming) + " name " + (named.size() == 1 ? "it" : "them");
    }

    private static List<String> patterns(TreeMap<Integer, RankDump> byRank, List<Integer> noDump, int size) {
        List<String> out = new ArrayList<>();
        long from = Long.MIN_VALUE;
        long to = Long.MIN_VALUE;
        for (RankDump d : byRank.values()) {
            if (!d.ops().isEmpty()) {
                from = Math.max(from, d.ops().firstKey());
                to = Math.max(to, d.ops().lastKey());
            }
        }
        RankDump first = byRank.firstEntry().getValue();
        String header = (first.job().isEmpty() ? "" : "job " + first.job() + ", ") + "communicator "
                + Long.toUnsignedString(first.commId()) + ": " + byRank.size()
                + " of " + size + " ranks dumped" + (noDump.isEmpty() ? "" : " (no dump from " + ranks(noDump) + ")");
        if (to == Long.MIN_VALUE) {
            out.add("no operations recorded");
            out.add(header);
            return out;
        }
        // divergence only up to the first operation that failed anywhere: a rank that was frozen and resumed after
        // the others timed out may finish that operation and fail the next one, which the others never entered;
        // the first failure, and the peer its error names, is the story then, not what came after it
        long lastSearched = Math.min(to, firstFailed(byRank));
        for (long s = Math.max(1, from); s <= lastSearched; s++) {
            List<String> found = divergence(byRank, s);
            if (!found.isEmpty()) {
                found.add(1, header);
                return found;
            }
        }
        for (long s = Math.max(1, from); s <= to; s++) {
            List<Integer> failed = new ArrayList<>();
            String error = null;
            for (RankDump d : byRank.values()) {
                RankDump.Op op = d.ops().get(s);
                if (op != null && (op.state().equals("failed") || op.state().equals("running"))) {
                    failed.add(d.rank());
                    error = error == null ? op.error() : error;
                }
            }
            if (!failed.isEmpty()) {
                RankDump.Op any = byRank.get(failed.get(0)).ops().get(s);
                out.add((byRank.size() == size ? "every rank" : "every rank that dumped") + " entered "
                        + any.collective() + " #" + s + " alike; it did not complete on "
                        + ranks(failed) + (error == null ? "" : ": " + error));
                out.add(header);
                return out;
            }
        }
        out.add("no divergence: every rank that dumped agrees on operations #" + Math.max(1, from) + " to #" + to);
        out.add(header);
        return out;
    }

    /** The lowest sequence number that failed on any rank, or Long.MAX_VALUE. */
    private static long firstFailed(TreeMap<Integer, RankDump> byRank) {
        long first = Long.MAX_VALUE;
        for (RankDump d : byRank.values()) {
            for (RankDump.Op op : d.ops().values()) {
                if (op.state().equals("failed")) {
                    first = Math.min(first, op.seq());
                }
            }
        }
        return first;
    }

    /** The report of operation {@code s} when ranks disagree on it, else empty. */
    private static List<String> divergence(TreeMap<Integer, RankDump> byRank, long s) {
        List<Integer> never = new ArrayList<>();
        Map<String, List<Integer>> bySignature = new LinkedHashMap<>();
        RankDump.Op sample = null;
        for (RankDump d : byRank.values()) {
            RankDump.Op op = d.ops().get(s);
            if (op == null) {
                if (d.last() == null || d.last().seq() < s) {
                    never.add(d.rank());
                }
                continue;
            }
            sample = sample == null ? op : sample;
            bySignature.computeIfAbsent(op.signature(), k -> new ArrayList<>()).add(d.rank());
        }
        List<String> out = new ArrayList<>();
        if (sample == null) {
            return out;
        }
        if (!never.isEmpty()) {
            out.add("first divergence: " + sample.collective() + " #" + s + " (" + sample.signature() + "): "
                    + ranks(never) + " never entered it");
            for (int r : never) {
                RankDump.Op last = byRank.get(r).last();
                out.add("  rank " + r + ": last operation " + (last == null ? "none" : last.brief()
                        + (last.error() == null ? "" : "; " + last.error())));
            }
        } else if (bySignature.size() > 1) {
            out.add("first divergence: operation #" + s + " was called differently: " + calls(bySignature));
        } else {
            return out;
        }
        for (RankDump d : byRank.values()) {
            RankDump.Op op = d.ops().get(s);
            if (op != null) {
                out.add("  rank " + d.rank() + ": " + op.brief() + ", sent " + op.bytesSent() + " B, received "
                        + op.bytesReceived() + " B" + (op.error() == null ? "" : "; " + op.error()));
                op.peers().forEach((p, line) -> out.add("    peer " + p + ": " + line));
            }
        }
        return out;
    }

    private static String calls(Map<String, List<Integer>> bySignature) {
        StringBuilder b = new StringBuilder();
        bySignature.forEach((sig, rs) -> b.append(b.length() == 0 ? "" : "; ").append(ranks(rs)).append(' ')
                .append(sig));
        return b.toString();
    }

    static String ranks(List<Integer> rs) {
        StringBuilder b = new StringBuilder(rs.size() == 1 ? "rank " : "ranks ");
        for (int i = 0; i < rs.size(); i++) {
            b.append(i == 0 ? "" : i == rs.size() - 1 ? " and " : ", ").append(rs.get(i));
        }
        return b.toString();
    }
}
