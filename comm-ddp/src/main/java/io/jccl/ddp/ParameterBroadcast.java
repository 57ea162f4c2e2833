package io.jccl.ddp;

import io.jccl.Communicator;
import io.jccl.DataType;
import io.jccl.InvalidUsageException;
import io.jccl.buffer.HostBuffer;

import java.nio.ByteBuffer;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.List;

/**
 * Makes every rank start from the root's parameters: Horovod's {@code broadcast_parameters} (and what PyTorch DDP
 * does at construction with {@code _sync_module_states}). Every tensor is packed, in list order, into one host
 * buffer that is broadcast by a single call, then unpacked, so that a model of many small tensors costs one
 * latency instead of one per tensor.
 *
 * <p>Tensors: {@code float[]}, {@code double[]} and {@link HostBuffer}s (their whole {@code byteSize()}); the
 * same list (same kinds and sizes, same order) on every rank. Stateless; the calling thread issues one blocking
 * collective on {@code comm}.
 */
public final class ParameterBroadcast {
    private ParameterBroadcast() {
    }

    /**
     * Overwrites every rank's tensors with the root's.
     *
     * @throws InvalidUsageException if a tensor is null or of another kind, the root is out of range, or the
     *                               packed size exceeds {@link HostBuffer#MAX_VIEW_BYTES}; ranks whose lists differ
     *                               in total size fail with {@link io.jccl.PeerFailureException}
     */
    public static void broadcast(Communicator comm, int root, List<?> tensors) {
        long bytes = 0;
        for (int i = 0; i < tensors.size(); i++) {
            bytes += bytesOf(tensors.get(i), i);
        }
        if (bytes > HostBuffer.MAX_VIEW_BYTES) {
            throw new InvalidUsageException("rank=" + comm.rank() + " broadcastParameters: " + bytes
                    + " bytes of parameters exceed one host buffer (" + HostBuffer.MAX_VIEW_BYTES + " bytes)");
        }
        try (HostBuffer packed = HostBuffer.allocate(bytes)) {
            ByteBuffer b = packed.unsafeBacking();
            if (comm.rank() == root) {
                int at = 0;
                for (Object t : tensors) {
                    at = copy(t, b, at, true);
                }
            }
            comm.broadcast(packed, bytes, DataType.UINT8, root);
            int at = 0;
            for (Object t : tensors) {
                at = copy(t, b, at, false);
            }
        }
    }

    /** A fingerprint of the parameters' kinds and sizes, in order (equal on ranks that registered alike). */
    static long fingerprint(List<Object> tensors) {
        long h = 17;
        for (int i = 0; i < tensors.size(); i++) {
            Object t = tensors.get(i);
            h = 31 * h + bytesOf(t, i);
            h = 31 * h + (t instanceof float[] ? 1 : t instanceof double[] ? 2 : 3);
        }
        return h;
    }

    private static long bytesOf(Object t, int i) {
        if (t instanceof float[] f) {
            return 4L * f.length;
        }
        if (t instanceof double[] d) {
            return 8L * d.length;
        }
        if (t instanceof HostBuffer h) {
            return h.byteSize();
        }
        throw new InvalidUsageException("broadcastParameters: tensor " + i + " is "
                + (t == null ? "null" : "a " + t.getClass().getSimpleName())
                + ": expected float[], double[] or HostBuffer");
    }

    /**
     * Copies tensor {@code t} into {@code b} from byte {@code at} ({@code pack}), or from there back into
     * {@code t}; returns the byte after it.
     */
    private static int copy(Object t, ByteBuffer b, int at, boolean pack) {
        int bytes = (int) bytesOf(t, 0);
        ByteBuffer region = b.slice(at, bytes).order(b.order());
        if (t instanceof float[] f) {
            FloatBuffer v = region.asFloatBuffer();
            if (pack) {
                v.put(f);
            } else {
                v.get(f);
            }
        } else if (t instanceof double[] d) {
            DoubleBuffer v = region.asDoubleBuffer();
            if (pack) {
                v.put(d);
            } else {
                v.get(d);
            }
        } else {
            ByteBuffer h = ((HostBuffer) t).unsafeBacking();
            if (pack) {
                region.put(0, h, 0, bytes);
            } else {
                h.put(0, region, 0, bytes);
            }
        }
        return at + bytes;
    }
}
