package io.jccl.cuda;

import io.jccl.CommConfig;
import io.jccl.Communicator;
import io.jccl.DataType;
import io.jccl.Jccl;
import io.jccl.ReduceOp;
import io.jccl.buffer.CommBuffer;
import io.jccl.buffer.HostBuffer;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * The GPU figures of scripts/gpu-check.sh, in one run on one GPU:
 * <ol>
 *   <li>the fp32 sum kernel ({@code dst = a + b}) against {@code cuMemcpyDtoD} of the same size, both timed
 *       with CUDA events on one stream; each rate counts the bytes the operation moves through device memory
 *       (kernel: 2 reads + 1 write; copy: 1 read + 1 write), so the ratio compares memory throughput;</li>
 *   <li>all-reduce (fp32 sum) of the same size through the in-process communicator with W ranks on this
 *       GPU, on {@link HostBuffer}s, on {@link DeviceBuffer}s (staged through pinned memory) and on device buffers
 *       with received segments reduced on the GPU ({@code deviceReduce}), as nccl-tests busbw: {@code bytes / time x 2(W-1)/W}, decimal GB/s.</li>
 * </ol>
 * Prints a readable table and {@code RESULT name=value} lines for the script to collect.
 *
 * <pre>
 *   GpuBenchmark [--size-mib 64] [--iters 20] [--ranks 2,4]
 * </pre>
 */
public final class GpuBenchmark {
    private GpuBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        long sizeMib = 64;
        int iters = 20;
        int[] ranks = {2, 4};
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--size-mib": sizeMib = Long.parseLong(args[++i]); break;
                case "--iters": iters = Integer.parseInt(args[++i]); break;
                case "--ranks": {
                    String[] p = args[++i].split(",");
                    ranks = new int[p.length];
                    for (int k = 0; k < p.length; k++) {
                        ranks[k] = Integer.parseInt(p[k].trim());
                    }
                    break;
                }
                default:
                    System.err.println("usage: GpuBenchmark [--size-mib N] [--iters N] [--ranks 2,4]");
                    System.exit(2);
            }
        }
        String reason = CudaAvailability.unavailableReason();
        if (reason != null) {
            System.out.println("RESULT status=no-gpu");
            System.err.println("gpu benchmark: no GPU: " + reason);
            System.exit(3);
        }
        long bytes = sizeMib << 20;
        try (CudaContext ctx = CudaContext.forLocalRank()) {
            CudaDevice d = ctx.device();
            result("device", d.name().replace(' ', '_'));
            result("device_sm", Integer.toString(d.computeCapability()));
            result("device_multiprocessors", Integer.toString(d.multiprocessorCount()));
            kernelVersusCopy(ctx, bytes, iters);
            for (int w : ranks) {
                allReduce(ctx, w, bytes, Math.max(3, iters / 4));
            }
        }
        result("status", "done");
    }

    private static void kernelVersusCopy(CudaContext ctx, long bytes, int iters) {
        long n = bytes / 4;
        try (ReduceKernels k = ReduceKernels.load(ctx); CudaStream s = CudaStream.create(ctx, true);
             CudaEvent t0 = CudaEvent.create(ctx, true); CudaEvent t1 = CudaEvent.create(ctx, true);
             DeviceBuffer a = DeviceBuffer.allocate(ctx, bytes); DeviceBuffer b = DeviceBuffer.allocate(ctx, bytes);
             DeviceBuffer dst = DeviceBuffer.allocate(ctx, bytes); HostBuffer h = HostBuffer.allocate(bytes)) {
            Random rnd = new Random(5);
            for (long i = 0; i < n; i++) {
                h.putFloat(i, (float) rnd.nextGaussian());
            }
            a.copyFrom(h);
            for (long i = 0; i < n; i++) {
                h.putFloat(i, (float) rnd.nextGaussian());
            }
            b.copyFrom(h);
            for (int i = 0; i < 3; i++) {
                k.reduce(ReduceOp.SUM, DataType.FLOAT32, dst, 0, a, 0, b, 0, n, s);
                dst.copyFromDevice(a, 0, 0, bytes, s);
            }
            s.synchronize();

            t0.record(s);
            for (int i = 0; i < iters; i++) {
                k.reduce(ReduceOp.SUM, DataType.FLOAT32, dst, 0, a, 0, b, 0, n, s);
            }
            t1.record(s);
            t1.synchronize();
            double kernelMs = t1.elapsedMillis(t0) / iters;

            t0.record(s);
            for (int i = 0; i < iters; i++) {
                dst.copyFromDevice(a, 0, 0, bytes, s);
            }
            t1.record(s);
            t1.synchronize();
            double copyMs = t1.elapsedMillis(t0) / iters;

            // spot check that the timed kernel computes a + b (a failing kernel must not produce a figure)
            k.reduce(ReduceOp.SUM, DataType.FLOAT32, dst, 0, a, 0, b, 0, n, s);
            s.synchronize();
            try (HostBuffer ha = HostBuffer.allocate(4096, DataType.FLOAT32);
                 HostBuffer hb = HostBuffer.allocate(4096, DataType.FLOAT32);
                 HostBuffer hd = HostBuffer.allocate(4096, DataType.FLOAT32)) {
                long at = (n - 4096) * 4;
                a.copyToHost(at, ha.unsafeBacking(), 0, 4096 * 4);
                b.copyToHost(at, hb.unsafeBacking(), 0, 4096 * 4);
                dst.copyToHost(at, hd.unsafeBacking(), 0, 4096 * 4);
                for (int i = 0; i < 4096; i++) {
                    if (Float.floatToRawIntBits(ha.getFloat(i) + hb.getFloat(i)) != Float.floatToRawIntBits(hd.getFloat(i))) {
                        throw new AssertionError("sum kernel wrong at element " + (n - 4096 + i));
                    }
                }
            }
            double kernelGBps = 3.0 * bytes / (kernelMs * 1e6);
            double copyGBps = 2.0 * bytes / (copyMs * 1e6);
            System.out.printf(Locale.ROOT, "%-44s %10.3f ms %10.1f GB/s%n", "sum kernel fp32 (2 reads + 1 write)", kernelMs, kernelGBps);
            System.out.printf(Locale.ROOT, "%-44s %10.3f ms %10.1f GB/s%n", "cuMemcpyDtoD (1 read + 1 write)", copyMs, copyGBps);
            result("size_bytes", Long.toString(bytes));
            result("kernel_sum_f32_ms", fmt(kernelMs));
            result("kernel_sum_f32_GBps", fmt(kernelGBps));
            result("dtod_copy_ms", fmt(copyMs));
            result("dtod_copy_GBps", fmt(copyGBps));
            result("kernel_vs_copy_ratio", fmt(kernelGBps / copyGBps));
        }
    }

    private static void allReduce(CudaContext ctx, int w, long bytes, int iters) {
        long count = bytes / 4;
        CommConfig config = CommConfig.builder().timeoutMillis(120_000).build();
        double hostSec = timeAllReduce(w, config, iters, count, false, ctx);
        double devSec = timeAllReduce(w, config, iters, count, true, ctx);
        double redSec = timeAllReduce(w, config.toBuilder().deviceReduce(true).build(), iters, count, true, ctx);
        double factor = 2.0 * (w - 1) / w;
        double redBus = bytes / redSec / 1e9 * factor;
        double hostBus = bytes / hostSec / 1e9 * factor;
        double devBus = bytes / devSec / 1e9 * factor;
        System.out.printf(Locale.ROOT, "%-44s %10.3f ms %10.2f GB/s busbw%n", "all-reduce W=" + w + " host buffers", hostSec * 1e3, hostBus);
        System.out.printf(Locale.ROOT, "%-44s %10.3f ms %10.2f GB/s busbw%n", "all-reduce W=" + w + " device buffers", devSec * 1e3, devBus);
        result("allreduce_W" + w + "_host_ms", fmt(hostSec * 1e3));
        result("allreduce_W" + w + "_host_busbw_GBps", fmt(hostBus));
        result("allreduce_W" + w + "_device_ms", fmt(devSec * 1e3));
        result("allreduce_W" + w + "_device_busbw_GBps", fmt(devBus));
        result("allreduce_W" + w + "_device_vs_host_ratio", fmt(devBus / hostBus));
        System.out.printf(Locale.ROOT, "%-44s %10.3f ms %10.2f GB/s busbw%n", "all-reduce W=" + w + " device, reduced on GPU",
                redSec * 1e3, redBus);
        result("allreduce_W" + w + "_devred_busbw_GBps", fmt(redBus));
        result("allreduce_W" + w + "_devred_vs_host_ratio", fmt(redBus / hostBus));
    }

    /** Mean seconds per all-reduce, the slowest rank's, after one warm-up and a barrier. */
    private static double timeAllReduce(int w, CommConfig config, int iters, long count, boolean onDevice, CudaContext ctx) {
        List<Double> perRank = Jccl.runInProcess(w, config, (Communicator comm) -> {
            try (HostBuffer h = HostBuffer.allocate(count, DataType.FLOAT32)) {
                for (long i = 0; i < count; i += 1024) {
                    h.putFloat(i, comm.rank() + 1);
                }
                List<AutoCloseable> owned = new ArrayList<>();
                CommBuffer buf = h;
                if (onDevice) {
                    DeviceBuffer d = DeviceBuffer.allocate(ctx, count, DataType.FLOAT32);
                    d.copyFrom(h);
                    owned.add(d);
                    buf = d;
                }
                try {
                    comm.allReduce(buf, count, DataType.FLOAT32, ReduceOp.SUM);
                    comm.barrier();
                    long t0 = System.nanoTime();
                    for (int i = 0; i < iters; i++) {
                        comm.allReduce(buf, count, DataType.FLOAT32, ReduceOp.SUM);
                    }
                    return (System.nanoTime() - t0) / 1e9 / iters;
                } finally {
                    for (AutoCloseable c : owned) {
                        c.close();
                    }
                }
            }
        });
        return perRank.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.3f", v);
    }

    private static void result(String name, String value) {
        System.out.println("RESULT " + name + "=" + value);
    }
}
