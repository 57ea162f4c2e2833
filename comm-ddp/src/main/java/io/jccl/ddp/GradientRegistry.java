package io.jccl.ddp;

import io.jccl.Communicator;
import io.jccl.DataType;
import io.jccl.InvalidUsageException;
import io.jccl.buffer.CommBuffer;
import io.jccl.buffer.HostBuffer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The gradients registered with a {@link GradientReducer.Builder}, in registration order: each checked once as it
 * is added (a name, a buffer, a floating type, a count that fits a buffer; no name or buffer twice), and the
 * whole list checked across ranks before a reducer is built ({@link #checkSameOnEveryRank}). Not thread-safe.
 */
final class GradientRegistry {
    /** What its errors start with: {@code rank=N GradientReducer}. */
    private final String who;
    private final List<Param> params = new ArrayList<>();
    private final IdentityHashMap<Object, Param> keys = new IdentityHashMap<>();
    private final Map<String, Param> names = new HashMap<>();

    GradientRegistry(String who) {
        this.who = who;
    }

    /** The gradients so far, in registration order. */
    Param[] toArray() {
        return params.toArray(new Param[0]);
    }

    boolean isEmpty() {
        return params.isEmpty();
    }

    /**
     * Adds gradient {@code name} held by a buffer: a {@link HostBuffer} (copied into its bucket) or any other buffer
     * (all-reduced in place).
     *
     * @throws InvalidUsageException as {@link #add}, or if the buffer is closed, read-only or smaller than the count
     */
    void addBuffer(String name, CommBuffer gradient, long count, DataType type) {
        if (gradient != null && (gradient.isClosed() || gradient.isReadOnly()
                || type != null && (count < 0 || count > gradient.byteSize() / type.bytes()))) {
            throw new InvalidUsageException(who + ": gradient '" + name + "' (" + gradient + ") must be"
                    + " open, writable and hold count=" + count + " elements of " + type);
        }
        add(name, gradient instanceof HostBuffer ? Param.Kind.HOST : Param.Kind.IN_PLACE, gradient, count, type);
    }

    /**
     * Adds gradient {@code name} of {@code count} elements of {@code type}, held by {@code key} as {@code kind}.
     *
     * @throws InvalidUsageException if the name is empty or taken, the key null or registered, the type not
     *                               floating or the count out of range
     */
    void add(String name, Param.Kind kind, Object key, long count, DataType type) {
        if (name == null || name.isEmpty()) {
            throw new InvalidUsageException(who + ": gradient " + params.size() + " needs a name");
        }
        if (key == null) {
            throw new InvalidUsageException(who + ": gradient '" + name + "' is null");
        }
        if (type == null || !type.isFloatingPoint()) {
            throw new InvalidUsageException(who + ": gradient '" + name + "' has type " + type
                    + ": gradients must be FLOAT32, FLOAT64, FLOAT16 or BFLOAT16");
        }
        if (count < 0 || count > HostBuffer.MAX_VIEW_BYTES / type.bytes()) {
            throw new InvalidUsageException(who + ": gradient '" + name + "' has count=" + count
                    + ": must be in [0, " + HostBuffer.MAX_VIEW_BYTES / type.bytes() + "]");
        }
        Param same = names.get(name);
        if (same != null) {
            throw new InvalidUsageException(who + ": the name '" + name + "' is registered twice"
                    + " (gradients " + same.index + " and " + params.size() + ")");
        }
        Param twice = keys.get(key);
        if (twice != null) {
            throw new InvalidUsageException(who + ": gradient '" + name + "' is the buffer already"
                    + " registered as '" + twice.name + "': register each gradient once");
        }
        Param p = new Param(params.size(), name, kind, key, count, type);
        params.add(p);
        keys.put(key, p);
        names.put(name, p);
    }

    /**
     * Every rank must register the same gradients (names, counts, types) in the same order, or buckets would mix
     * different gradients silently, and the same parameters ({@code parameters}: their fingerprint), or a
     * broadcast of them would fail on some ranks only: an all-gather of a 64-bit fingerprint of both checks it once,
     * as PyTorch DDP verifies parameter shapes across ranks at construction. A collective call over {@code comm}.
     *
     * @throws InvalidUsageException naming the ranks whose registrations differ from this rank's
     */
    void checkSameOnEveryRank(Communicator comm, long parameters) {
        long h = 31 * fingerprint() + parameters;
        int w = comm.size();
        try (HostBuffer mine = HostBuffer.allocate(1, DataType.INT64);
             HostBuffer all = HostBuffer.allocate(w, DataType.INT64)) {
            mine.putLong(0, h);
            comm.allGather(mine, all, 1, DataType.INT64);
            List<Integer> differ = new ArrayList<>();
            for (int r = 0; r < w; r++) {
                if (all.getLong(r) != h) {
                    differ.add(r);
                }
            }
            if (!differ.isEmpty()) {
                throw new InvalidUsageException("rank=" + comm.rank() + " GradientReducer: ranks " + differ
                        + " registered other gradients or parameters than this rank (names, counts, types, sizes or"
                        + " order differ); every rank must register the same ones in the same order. This rank: "
                        + params.size() + " gradients, first " + params.get(0).name + " (" + params.get(0).count
                        + " x " + params.get(0).type + ")");
            }
        }
    }

    private long fingerprint() {
        long h = 1125899906842597L;
        for (Param p : params) {
            h = 31 * h + p.name.hashCode();
            h = 31 * h + p.count;
            h = 31 * h + p.type.ordinal();
        }
        return h;
    }
}
