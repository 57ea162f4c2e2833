package io.jccl.reduce;

import com.sun.jna.Native;
import io.jccl.DataType;
import io.jccl.Knob;
import io.jccl.ReduceOp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.Field;
import java.nio.Buffer;
import java.nio.ByteBuffer;

/**
 * The native host kernels ({@code native/host/jccl_host.c}, built by the Maven build with gcc into
 * {@code linux-x86-64/libjcclhost.so}), called through JNA direct mapping on the addresses of direct buffers:
 * one pass over memory, vectorised with AVX-512 or AVX2 when the CPU has them, the same bits as the Java
 * kernels, and no allocation per call.
 *
 * <p>{@link #AVAILABLE} is false when the library is absent (no gcc at build time, another OS or CPU), could not
 * load, when direct-buffer addresses cannot be read, or when {@code JCCL_NATIVE_KERNELS=0}; then
 * {@link HostReduce} keeps its Java kernels.
 *
 * <p>Stateless; thread-safe.
 */
public final class NativeReduce {
    private static final Logger LOG = LoggerFactory.getLogger(NativeReduce.class);

    /** True when the native kernels are loaded and used. */
    public static final boolean AVAILABLE;
    /** 3: AVX-512, 2: AVX2, 1: baseline x86-64, 0: not loaded. */
    public static final int ISA;

    private static final sun.misc.Unsafe UNSAFE;
    private static final long ADDRESS_OFFSET;

    static {
        boolean ok = false;
        int isa = 0;
        sun.misc.Unsafe u = null;
        long off = -1;
        if (Knob.NATIVE_KERNELS.get().equals("1")) {
            try {
                Field f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
                f.setAccessible(true);
                u = (sun.misc.Unsafe) f.get(null);
                off = u.objectFieldOffset(Buffer.class.getDeclaredField("address"));
                Native.register(NativeReduce.class, "jcclhost");
                isa = jccl_isa();
                ok = true;
            } catch (Throwable t) {
                LOG.debug("native host kernels not used: {}", t.toString());
            }
        }
        AVAILABLE = ok;
        ISA = isa;
        UNSAFE = u;
        ADDRESS_OFFSET = off;
    }

    private NativeReduce() {
    }

    private static native void jccl_reduce(int type, int op, long a, long b, long dst, long count);

    private static native void jccl_divide(int type, long buf, long count, int divisor);

    private static native int jccl_isa();

    private static native void jccl_narrow(int type, long src, long residual, long dst, long count);

    private static native void jccl_widen(int type, long src, long dst, long count);

    /** The native address of byte {@code index} of a direct buffer. */
    static long address(ByteBuffer buffer, int index) {
        return UNSAFE.getLong(buffer, ADDRESS_OFFSET) + index;
    }

    /** As {@link HostReduce#reduce}; every buffer must be direct. */
    static void reduce(DataType type, ReduceOp op, ByteBuffer a, int aOff, ByteBuffer b, int bOff, ByteBuffer dst,
                       int dOff, int count) {
        jccl_reduce(type.ordinal(), op.ordinal(), address(a, aOff), address(b, bOff), address(dst, dOff), count);
    }

    /** As {@link HostReduce#divide}; the buffer must be direct. */
    static void divide(DataType type, ByteBuffer buf, int off, int count, int divisor) {
        jccl_divide(type.ordinal(), address(buf, off), count, divisor);
    }

    /** As {@link HalfFloats#narrow}; every buffer must be direct ({@code residual} may be null). */
    static void narrow(DataType wire, ByteBuffer src, int srcOff, ByteBuffer residual, int resOff, ByteBuffer dst,
                       int dstOff, int count) {
        jccl_narrow(wire.ordinal(), address(src, srcOff), residual == null ? 0 : address(residual, resOff),
                address(dst, dstOff), count);
    }

    /** As {@link HalfFloats#widen}; both buffers must be direct. */
    static void widen(DataType wire, ByteBuffer src, int srcOff, ByteBuffer dst, int dstOff, int count) {
        jccl_widen(wire.ordinal(), address(src, srcOff), address(dst, dstOff), count);
    }
}
