package io.jccl.reduce;

import com.sun.jna.Native;
import io.jccl.DataType;
import io.jccl.Knob;
import io.jccl.ReduceOp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
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

    /**
     * {@code sun.misc.Unsafe.getLong(Object, long)} bound to the instance, reached by reflection (jdk.unsupported)
     * so that no code names the internal type; a constant handle, which the JIT inlines as a direct call.
     */
    private static final MethodHandle GET_LONG;
    private static final long ADDRESS_OFFSET;

    static {
        boolean ok = false;
        int isa = 0;
        MethodHandle getLong = null;
        long off = -1;
        if (nativeKernelsWanted()) {
            try {
                Class<?> unsafeClass = Class.forName("sun.misc.Unsafe");
                Field f = unsafeClass.getDeclaredField("theUnsafe");
                f.setAccessible(true);
                Object u = f.get(null);
                off = (long) unsafeClass.getMethod("objectFieldOffset", Field.class)
                        .invoke(u, Buffer.class.getDeclaredField("address"));
                getLong = MethodHandles.lookup()
                        .findVirtual(unsafeClass, "getLong", MethodType.methodType(long.class, Object.class, long.class))
                        .bindTo(u);
                Native.register(NativeReduce.class, "jcclhost");
                isa = jccl_isa();
                ok = true;
            } catch (Throwable t) {
                LOG.debug("native host kernels not used: {}", t.toString());
            }
        }
        AVAILABLE = ok;
        ISA = isa;
        GET_LONG = getLong;
        ADDRESS_OFFSET = off;
    }

    private NativeReduce() {
    }

    private static native void jccl_reduce(int type, int op, long a, long b, long dst, long count);

    private static native void jccl_divide(int type, long buf, long count, int divisor);

    private static native int jccl_isa();

    private static native void jccl_narrow(int type, long src, long residual, long dst, long count);

    private static native void jccl_widen(int type, long src, long dst, long count);

    /**
     * {@code JCCL_NATIVE_KERNELS} as a switch (1/0, true/false, yes/no, on/off); anything else keeps the default (on)
     * with a warning: this runs in a class initializer, which must not throw.
     */
    private static boolean nativeKernelsWanted() {
        try {
            return Knob.NATIVE_KERNELS.getBoolean();
        } catch (io.jccl.InvalidUsageException e) {
            LOG.warn("{}; the native kernels stay on", e.getMessage());
            return true;
        }
    }

    /** The native address of byte {@code index} of a direct buffer. */
    static long address(ByteBuffer buffer, int index) {
        try {
            return (long) GET_LONG.invokeExact((Object) buffer, ADDRESS_OFFSET) + index;
        } catch (Throwable t) {
            throw new IllegalStateException("cannot read a direct buffer's address", t);
        }
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
