package io.jccl.cuda;

import io.jccl.CommConfig;
import io.jccl.Communicator;
import io.jccl.DataType;
import io.jccl.ReduceOp;
import io.jccl.buffer.CommBuffer;
import io.jccl.buffer.HostBuffer;
import io.jccl.net.LaunchInfo;
import io.jccl.net.NetCommunicators;

import java.nio.ByteBuffer;
import java.util.Locale;

/**
 * One rank of a multi-process all-reduce check on device buffers (scripts/gpu-check.sh starts two, with
 * {@code RANK}, {@code WORLD_SIZE}, {@code LOCAL_RANK}, {@code MASTER_ADDR}, {@code MASTER_PORT}): for fp32 sum and
 * bf16 avg, sizes from 8 B to {@code --max-mib} by factors of 4, in place, on four paths: host buffers, device
 * buffers staged whole ({@link WholeStaging}), device buffers pipelined (the default) and pipelined with received
 * segments reduced on the GPU ({@code device-reduce}: a communicator split off with
 * {@link CommConfig.Builder#deviceReduce}). Inputs are small integers
 * (rank-dependent) whose results are exact in both types, so every element of every path is checked against the
 * exact value: after the first call and again after the timed calls ({@code #wrong}, summed over ranks; must be 0).
 * Times are rank 0's mean per call; busbw as nccl-tests, {@code bytes / time x 2(W-1)/W}.
 *
 * <p>Prints an nccl-tests style table and {@code RESULT name=value} lines: {@code wrong_total}, and per type and
 * size {@code <type>_<bytes>_<path>_busbw_GBps} ({@code device-reduce} written {@code devred}) and
 * {@code <type>_<bytes>_whole_over_pipelined} (time ratio).
 * Exits 1 when an element was wrong, 3 without a GPU.
 *
 * <pre>
 *   DeviceAllReduceCheck [--max-mib 256] [--iters 20]
 * </pre>
 */
public final class DeviceAllReduceCheck {
    private static final String[] PATHS = {"host", "whole", "pipelined", "device-reduce"};

    private DeviceAllReduceCheck() {
    }

    public static void main(String[] args) throws Exception {
        long maxMib = 256;
        int iters = 20;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--max-mib" -> maxMib = Long.parseLong(args[++i]);
                case "--iters" -> iters = Integer.parseInt(args[++i]);
                default -> {
                    System.err.println("usage: DeviceAllReduceCheck [--max-mib N] [--iters N]");
                    System.exit(2);
                }
            }
        }
        String reason = CudaAvailability.unavailableReason();
        if (reason != null) {
            System.out.println("RESULT status=no-gpu");
            System.err.println("device all-reduce check: no GPU: " + reason);
            System.exit(3);
        }
        long maxBytes = maxMib << 20;
        long wrong = 0;
        try (Communicator comm = NetCommunicators.create(LaunchInfo.fromEnvironment(),
                CommConfig.builder().timeoutMillis(60_000).build());
             CudaContext ctx = CudaContext.forLocalRank();
             DeviceBuffer dev = DeviceBuffer.allocate(ctx, maxBytes);
             HostBuffer host = dev.allocateStaging(maxBytes);
             HostBuffer tally = HostBuffer.allocate(1, DataType.INT64);
             Communicator onGpu = comm.split(0, comm.rank(), CommConfig.builder().timeoutMillis(60_000)
                     .deviceReduce(true).build())) {
            boolean print = comm.rank() == 0;
            if (print) {
                System.out.printf(Locale.ROOT, "# W=%d, in place; time in us (rank 0, mean), busbw in GB/s%n",
                        comm.size());
                System.out.printf(Locale.ROOT, "%12s %11s %5s %4s | %9s %7s | %9s %7s | %9s %7s | %9s %7s | %6s%n",
                        "size", "count", "type", "op", "host", "busbw", "whole", "busbw", "pipelined", "busbw",
                        "dev-red", "busbw", "#wrong");
            }
            for (DataType t : new DataType[]{DataType.FLOAT32, DataType.BFLOAT16}) {
                ReduceOp op = t == DataType.FLOAT32 ? ReduceOp.SUM : ReduceOp.AVG;
                for (long bytes = 8; bytes <= maxBytes; bytes = bytes * 4 > maxBytes && bytes < maxBytes ? maxBytes
                        : bytes * 4) {
                    long count = bytes / t.bytes();
                    int n = (int) Math.max(2, Math.min(iters, (64L << 20) * 4 / bytes));
                    double[] micros = new double[PATHS.length];
                    long wrongHere = 0;
                    for (int p = 0; p < PATHS.length; p++) {
                        CommBuffer buf = switch (PATHS[p]) {
                            case "host" -> host;
                            case "whole" -> WholeStaging.of(dev);
                            default -> dev;
                        };
                        fill(host.unsafeBacking(), t, count, comm.rank());
                        if (p > 0) {
                            dev.copyFromHost(host.unsafeBacking(), 0, 0, (int) bytes);
                        }
                        Communicator c = p == 3 ? onGpu : comm;
                        c.allReduce(buf, count, t, op);
                        wrongHere += check(dev, host, p > 0, t, count, comm.size(), 1);
                        c.barrier();
                        long t0 = System.nanoTime();
                        for (int i = 0; i < n; i++) {
                            c.allReduce(buf, count, t, op);
                        }
                        micros[p] = (System.nanoTime() - t0) / 1e3 / n;
                        wrongHere += check(dev, host, p > 0, t, count, comm.size(), 1 + n);
                    }
                    tally.unsafeBacking().putLong(0, wrongHere);
                    comm.allReduce(tally, 1, DataType.INT64, ReduceOp.SUM);
                    long all = tally.unsafeBacking().getLong(0);
                    wrong += all;
                    if (print) {
                        report(t, op, bytes, count, micros, all, comm.size());
                    }
                }
            }
            if (print) {
                System.out.println("RESULT wrong_total=" + wrong);
                System.out.println("RESULT status=done");
            }
        }
        System.exit(wrong == 0 ? 0 : 1);
    }

    private static void report(DataType t, ReduceOp op, long bytes, long count, double[] micros, long wrong, int w) {
        double factor = 2.0 * (w - 1) / w;
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%12d %11d %5s %4s", bytes, count,
                t == DataType.FLOAT32 ? "fp32" : "bf16", op.name().toLowerCase(Locale.ROOT)));
        String type = t == DataType.FLOAT32 ? "f32" : "bf16";
        for (int p = 0; p < PATHS.length; p++) {
            double busbw = bytes / (micros[p] * 1e3) * factor;
            line.append(String.format(Locale.ROOT, " | %9.1f %7.2f", micros[p], busbw));
            System.out.println("RESULT " + type + "_" + bytes + "_" + PATHS[p].replace("device-reduce", "devred")
                    + "_busbw_GBps="
                    + String.format(Locale.ROOT, "%.3f", busbw));
        }
        System.out.println(line.append(String.format(Locale.ROOT, " | %6d", wrong)));
        System.out.println("RESULT " + type + "_" + bytes + "_whole_over_pipelined="
                + String.format(Locale.ROOT, "%.3f", micros[1] / micros[2]));
    }

    /** Input of element i on rank r: a small integer, exact in fp32 and bf16. */
    private static float input(DataType t, long i, int r) {
        return t == DataType.FLOAT32 ? (i % 1009) + r : (i % 64) + r;
    }

    private static void fill(ByteBuffer b, DataType t, long count, int rank) {
        for (long i = 0; i < count; i++) {
            float v = input(t, i, rank);
            if (t == DataType.FLOAT32) {
                b.putFloat((int) (i * 4), v);
            } else {
                b.putShort((int) (i * 2), bf16(v));
            }
        }
    }

    /**
     * Elements of the result after {@code calls} in-place all-reduces that differ from the exact value: the first
     * call gives the sum (fp32) or the mean (bf16) of the ranks' inputs; each later fp32 sum multiplies by W (exact
     * for W a power of two) and each later mean keeps the value.
     */
    private static long check(DeviceBuffer dev, HostBuffer host, boolean onDevice, DataType t, long count, int w,
                              int calls) {
        ByteBuffer b = host.unsafeBacking();
        if (onDevice) {
            dev.copyToHost(0, b, 0, (int) (count * t.bytes()));
        }
        long wrong = 0;
        for (long i = 0; i < count; i++) {
            double sum = 0;
            for (int r = 0; r < w; r++) {
                sum += input(t, i, r);
            }
            if (t == DataType.FLOAT32) {
                float expected = (float) (sum * Math.pow(w, calls - 1));
                if (Float.floatToRawIntBits(b.getFloat((int) (i * 4))) != Float.floatToRawIntBits(expected)) {
                    wrong++;
                }
            } else if (b.getShort((int) (i * 2)) != bf16((float) (sum / w))) {
                wrong++;
            }
        }
        return wrong;
    }

    /** fp32 to bf16, round to nearest even (finite values). */
    private static short bf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        return (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16);
    }
}
