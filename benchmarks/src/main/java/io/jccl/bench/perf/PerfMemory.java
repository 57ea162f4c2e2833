package io.jccl.bench.perf;

import io.jccl.buffer.CommBuffer;
import io.jccl.buffer.HostBuffer;
import io.jccl.buffer.SimulatedDeviceBuffer;
import io.jccl.buffer.StagedBuffer;
import io.jccl.cuda.CudaAvailability;
import io.jccl.cuda.CudaContext;
import io.jccl.cuda.DeviceBuffer;

import java.nio.ByteBuffer;
import java.util.Locale;

/**
 * Where {@code jccl-perf}'s collective buffers live ({@code --memory}): host memory; GPU memory of this process's
 * device (local rank modulo the device count, through comm-cuda: the communicator stages it through the host,
 * pipelined, or reduces on the device with {@code JCCL_DEVICE_REDUCE=1}); or simulated device memory (host memory
 * behind copies that take {@link #SIM_LATENCY_NANOS} plus the bytes at {@code --sim-gbps}, one copy engine per
 * direction), to see what staging costs without a GPU. The check pattern is written and checked in host memory and
 * copied to and from the device outside the timed calls.
 *
 * <p>Thread-safe: ranks that are threads of one process share it (and one CUDA context); {@link #close()} after the
 * sweep.
 */
final class PerfMemory implements AutoCloseable {
    /** The kinds of memory, by their {@code --memory} name. */
    enum Kind {
        HOST, DEVICE, DEVICE_SIM;

        /** The name {@code --memory} takes. */
        String label() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        /** @throws IllegalArgumentException naming the choices */
        static Kind parse(String s) {
            for (Kind k : values()) {
                if (k.label().equals(s)) {
                    return k;
                }
            }
            throw new IllegalArgumentException("--memory " + s + ": expected host, device or device-sim");
        }
    }

    /** The fixed time of one simulated copy (a PCIe transfer's set-up, about what a cudaMemcpyAsync costs). */
    static final long SIM_LATENCY_NANOS = 5_000;

    private final Kind kind;
    private final double simBytesPerSecond;
    private CudaContext context;

    /**
     * @throws IllegalArgumentException when {@code device} is asked for where no GPU can be used (the reason named),
     *                                  or the simulated rate is not positive
     */
    PerfMemory(Kind kind, double simGBps) {
        this.kind = kind;
        this.simBytesPerSecond = simGBps * 1e9;
        if (kind == Kind.DEVICE) {
            String why = CudaAvailability.unavailableReason();
            if (why != null) {
                throw new IllegalArgumentException("--memory device: no GPU can be used here (" + why
                        + "); --memory device-sim simulates one");
            }
        }
        if (kind == Kind.DEVICE_SIM && !(simGBps > 0)) {
            throw new IllegalArgumentException("--sim-gbps " + simGBps + " must be above 0");
        }
    }

    Kind kind() {
        return kind;
    }

    /** What the header says. */
    String describe() {
        return switch (kind) {
            case HOST -> "host";
            case DEVICE -> "device (GPU memory, staged by the communicator)";
            case DEVICE_SIM -> String.format(Locale.ROOT, "device-sim (simulated copies: %d us + bytes at %.1f GB/s)",
                    SIM_LATENCY_NANOS / 1000, simBytesPerSecond / 1e9);
        };
    }

    /** The buffer the collective gets for {@code host}'s contents: {@code host} itself, or a device buffer as big. */
    CommBuffer twin(HostBuffer host) {
        long bytes = host.byteSize();
        return switch (kind) {
            case HOST -> host;
            case DEVICE -> DeviceBuffer.allocate(context(), bytes);
            case DEVICE_SIM -> new SimulatedDeviceBuffer(bytes, SIM_LATENCY_NANOS, simBytesPerSecond, true, null);
        };
    }

    /** Copies {@code host} into its twin {@code buf} (nothing for host memory). */
    static void upload(HostBuffer host, CommBuffer buf) {
        if (buf instanceof StagedBuffer s && host.byteSize() > 0) {
            ByteBuffer b = host.byteBuffer();
            s.copyFromHost(b, 0, 0, (int) host.byteSize());
        }
    }

    /** Copies twin {@code buf} back into {@code host} (nothing for host memory). */
    static void download(CommBuffer buf, HostBuffer host) {
        if (buf instanceof StagedBuffer s && host.byteSize() > 0) {
            ByteBuffer b = host.byteBuffer();
            s.copyToHost(0, b, 0, (int) host.byteSize());
        }
    }

    /** Releases twin {@code buf} (not host memory: its owner closes it). */
    static void release(CommBuffer buf) {
        if (buf instanceof AutoCloseable c && !(buf instanceof HostBuffer)) {
            try {
                c.close();
            } catch (Exception e) {
                throw new IllegalStateException("closing " + buf + ": " + e.getMessage(), e);
            }
        }
    }

    private synchronized CudaContext context() {
        if (context == null) {
            context = CudaContext.forLocalRank();
        }
        return context;
    }

    @Override
    public synchronized void close() {
        if (context != null) {
            context.close();
            context = null;
        }
    }
}
