package io.jccl.net.shm;

import io.jccl.Collective;
import io.jccl.DataType;
import io.jccl.InvalidUsageException;
import io.jccl.PeerFailureException;
import io.jccl.ReduceOp;
import io.jccl.net.wire.FrameDescriptor;
import io.jccl.transport.OpHeader;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;

/**
 * The shared-memory wire format: one file under /dev/shm per (stream, sender, receiver), mapped by both, holding
 * a ring of fixed-size slots that carry one message fragment each. Native byte order (both ends are one host).
 *
 * <pre>
 * control block (256 bytes):
 *  0                8                 64                128              256
 *  +----------------+--------+--------+-------  ...  ----+-------- ... ----+
 *  | magic|version  | slots  |slotBytes| consumed (long) | attached (long) |
 *  +----------------+--------+--------+-------  ...  ----+-------- ... ----+
 * slot i at 256 + i * (64 + slotBytes):
 *  0            8       12      16      24      32      40       44  45  46  47  48      56     64
 *  +------------+-------+-------+-------+-------+-------+--------+---+---+---+---+-------+------+---- ... ----+
 *  | published  |fragLen|total  | seq   | tag   | count | root   |col|dt |op |   |fragOff|      | payload      |
 *  +------------+-------+-------+-------+-------+-------+--------+---+---+---+---+-------+------+---- ... ----+
 * </pre>
 *
 * <ul>
 *   <li>magic {@link #MAGIC} with the version in its low byte, and the geometry (slots, slotBytes): each side
 *       sets them with compare-and-set when it maps the file and fails if the other side wrote different ones.</li>
 *   <li>Fragment {@code n} (0, 1, ... over the ring's life) lives in slot {@code n % slots}. The sender may write it
 *       once {@code n - consumed < slots}; it writes header and payload, then stores {@code published = n + 1}
 *       with release semantics. The receiver reads {@code published} with acquire, copies the fragment out and
 *       stores {@code consumed = n + 1} with release semantics. One producer and one consumer per ring.</li>
 *   <li>A message of {@code total} bytes is {@code max(1, ceil(total / slotBytes))} fragments; {@code fragOff}
 *       is the fragment's offset in the message. seq, tag, count, root, col, dt, op as in
 *       {@link FrameDescriptor}, in every fragment.</li>
 *   <li>attached: set to 1 by the receiver when it maps the file; the sender deletes the file on close once
 *       the receiver attached or everything was consumed (else the receiver, opening it later, deletes it).</li>
 * </ul>
 *
 * <p>Threading: the producer methods from one thread at a time, the consumer methods likewise (callers lock).
 */
final class ShmRing {
    static final long MAGIC = 0x4A43434C53484D00L | 1; // "JCCLSHM", version 1
    static final int CONTROL_BYTES = 256;
    static final int SLOT_HEADER_BYTES = 64;
    private static final int GEOMETRY = 8;
    private static final int CONSUMED = 64;
    private static final int ATTACHED = 128;
    private static final int S_PUBLISHED = 0;
    private static final int S_FRAG_LEN = 8;
    private static final int S_TOTAL = 12;
    private static final int S_SEQ = 16;
    private static final int S_TAG = 24;
    private static final int S_COUNT = 32;
    private static final int S_ROOT = 40;
    private static final int S_COL = 44;
    private static final int S_DT = 45;
    private static final int S_OP = 46;
    private static final int S_FRAG_OFF = 48;

    private static final VarHandle LONGS = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());

    final Path path;
    private final MappedByteBuffer map;
    final int slots;
    final int slotBytes;
    private final int stride;
    /** Producer: fragments written. */
    private long produced;
    /** Producer: the consumer's count as last read. */
    private long consumedSeen;
    /** Consumer: fragments consumed. */
    private long consumed;

    private ShmRing(Path path, MappedByteBuffer map, int slots, int slotBytes) {
        this.path = path;
        this.map = map;
        this.slots = slots;
        this.slotBytes = slotBytes;
        this.stride = SLOT_HEADER_BYTES + slotBytes;
    }

    /**
     * Creates or opens the ring at {@code path} (whichever side comes first creates it, readable by this user
     * only) and checks its format.
     *
     * @param receiver true for the consuming side, which marks the ring attached
     */
    static ShmRing open(Path path, int slots, int slotBytes, boolean receiver) {
        if (slots < 1 || slotBytes < 64 || slotBytes % 64 != 0) {
            throw new InvalidUsageException("shared-memory ring of " + slots + " slots of " + slotBytes
                    + " bytes: JCCL_SHM_SLOTS must be at least 1 and JCCL_SHM_SLOT_BYTES a multiple of 64 bytes, at least 64");
        }
        long size = CONTROL_BYTES + (long) slots * (SLOT_HEADER_BYTES + slotBytes);
        if (size > Integer.MAX_VALUE) {
            throw new InvalidUsageException("shared-memory ring of " + size + " bytes is too large (2 GiB at most:"
                    + " JCCL_SHM_SLOTS x JCCL_SHM_SLOT_BYTES)");
        }
        try {
            // the side that publishes the file maps it before publishing; the other maps the published file and
            // then removes its name: both sides have it mapped (only the ring's two ranks open it), the memory stays
            // until both unmap, and a rank killed later leaves nothing in /dev/shm
            MappedByteBuffer m = Files.exists(path) ? null : createMapped(path, size);
            if (m == null) {
                try (FileChannel ch = FileChannel.open(path, EnumSet.of(StandardOpenOption.READ, StandardOpenOption.WRITE))) {
                    m = ch.map(FileChannel.MapMode.READ_WRITE, 0, size); // extends a smaller file: the geometry check fails
                }
                Files.deleteIfExists(path);
            }
            m.order(ByteOrder.nativeOrder());
            ShmRing r = new ShmRing(path, m, slots, slotBytes);
            r.claim(0, MAGIC, "format");
            r.claim(GEOMETRY, ((long) slots << 32) | slotBytes, "geometry (JCCL_SHM_SLOTS, JCCL_SHM_SLOT_BYTES)");
            if (receiver) {
                LONGS.setRelease(m, ATTACHED, 1L);
            }
            return r;
        } catch (IOException e) {
            throw new PeerFailureException("cannot map shared-memory ring " + path + ": " + e, e);
        }
    }

    /**
     * Creates the file with all its pages written (so a full /dev/shm fails here with an IOException, not later
     * with SIGBUS on a mapped page): fills a temporary file, then links it to {@code path}, which is atomic and
     * fails if the other side published its file first (then that one is used).
     *
     * @return the mapping of the file, when this side's was published; null when the other side's was there first
     */
    private static MappedByteBuffer createMapped(Path path, long size) throws IOException {
        Path tmp = path.resolveSibling(path.getFileName() + ".tmp-" + Long.toHexString(System.nanoTime())
                + "-" + Thread.currentThread().getId());
        try {
            MappedByteBuffer m;
            try (FileChannel ch = FileChannel.open(tmp, EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                    StandardOpenOption.WRITE), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
                ByteBuffer zeros = ByteBuffer.allocateDirect((int) Math.min(size, 1 << 20));
                for (long at = 0; at < size; ) {
                    zeros.clear().limit((int) Math.min(zeros.capacity(), size - at));
                    at += ch.write(zeros, at);
                }
                m = ch.map(FileChannel.MapMode.READ_WRITE, 0, size);
            }
            try {
                Files.createLink(path, tmp);
                return m;
            } catch (FileAlreadyExistsException e) {
                return null; // the other side's file won
            }
        } catch (IOException e) {
            throw new IOException(e + " (" + size + " bytes for a ring of JCCL_SHM_SLOTS x JCCL_SHM_SLOT_BYTES;"
                    + " make /dev/shm larger, the ring smaller, or use JCCL_TRANSPORT=tcp)", e);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private void claim(int at, long value, String what) {
        long was = (long) LONGS.compareAndExchange(map, at, 0L, value);
        if (was != 0 && was != value) {
            throw new InvalidUsageException("shared-memory ring " + path + " has a different " + what
                    + " (0x" + Long.toHexString(was) + ", here 0x" + Long.toHexString(value) + "): every rank of a job"
                    + " must use the same settings");
        }
    }

    /** Fragments a message of {@code length} bytes takes. */
    int fragments(int length) {
        return length == 0 ? 1 : (int) ((length + (long) slotBytes - 1) / slotBytes);
    }

    // ---------------------------------------------------------------- producer

    /** Slots the producer may fill now. */
    int free() {
        long free = slots - (produced - consumedSeen);
        if (free == 0) {
            consumedSeen = (long) LONGS.getAcquire(map, CONSUMED);
            free = slots - (produced - consumedSeen);
        }
        return (int) free;
    }

    /** Writes the fragment of the message at {@code fragOff} (at most one slot) and publishes it; needs {@link #free()} > 0. */
    void write(OpHeader h, long tag, ByteBuffer src, int offset, int total, int fragOff) {
        int base = CONTROL_BYTES + (int) (produced % slots) * stride;
        int len = Math.min(slotBytes, total - fragOff);
        map.putInt(base + S_FRAG_LEN, len);
        map.putInt(base + S_TOTAL, total);
        map.putLong(base + S_SEQ, h.seq());
        map.putLong(base + S_TAG, tag);
        map.putLong(base + S_COUNT, h.count());
        map.putInt(base + S_ROOT, h.root());
        map.put(base + S_COL, (byte) h.collective().code());
        map.put(base + S_DT, (byte) h.type().ordinal());
        map.put(base + S_OP, (byte) (h.op() == null ? FrameDescriptor.NO_OP : h.op().ordinal()));
        map.putInt(base + S_FRAG_OFF, fragOff);
        if (len > 0) {
            map.put(base + SLOT_HEADER_BYTES, src, offset + fragOff, len);
        }
        produced++;
        LONGS.setRelease(map, base + S_PUBLISHED, produced);
    }

    /** True when the receiver mapped the ring or took everything written (the sender may delete the file). */
    boolean drainedOrAttached() {
        return (long) LONGS.getAcquire(map, ATTACHED) != 0 || (long) LONGS.getAcquire(map, CONSUMED) == produced;
    }

    // ---------------------------------------------------------------- consumer

    /** Index of the next fragment's slot if it is published, else -1. */
    int peek() {
        int base = CONTROL_BYTES + (int) (consumed % slots) * stride;
        return (long) LONGS.getAcquire(map, base + S_PUBLISHED) == consumed + 1 ? base : -1;
    }

    int fragLen(int base) {
        return map.getInt(base + S_FRAG_LEN);
    }

    int total(int base) {
        return map.getInt(base + S_TOTAL);
    }

    int fragOff(int base) {
        return map.getInt(base + S_FRAG_OFF);
    }

    long seq(int base) {
        return map.getLong(base + S_SEQ);
    }

    long tag(int base) {
        return map.getLong(base + S_TAG);
    }

    long count(int base) {
        return map.getLong(base + S_COUNT);
    }

    int root(int base) {
        return map.getInt(base + S_ROOT);
    }

    Collective collective(int base) {
        return Collective.fromCode(map.get(base + S_COL) & 0xFF);
    }

    DataType type(int base) {
        return FrameDescriptor.dataType(map.get(base + S_DT) & 0xFF);
    }

    ReduceOp op(int base) {
        return FrameDescriptor.reduceOp(map.get(base + S_OP) & 0xFF);
    }

    /** Copies the payload of the fragment at {@code base} into {@code dst} at absolute index {@code at}. */
    void copyOut(int base, ByteBuffer dst, int at) {
        int len = fragLen(base);
        if (len > 0) {
            dst.put(at, map, base + SLOT_HEADER_BYTES, len);
        }
    }

    /** Frees the slot of the fragment just read. */
    void consume() {
        consumed++;
        LONGS.setRelease(map, CONSUMED, consumed);
    }

    /** Removes the file (the mapping stays valid until it is collected). */
    void delete() {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            // best effort: /dev/shm is cleaned on reboot
        }
    }
}
