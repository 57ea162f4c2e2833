package io.jccl.ddp;

import io.jccl.DataType;
import io.jccl.InvalidUsageException;
import io.jccl.buffer.HostBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.management.ManagementFactory;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(120)
class GradientReducerTest {
    /** A gradient element that is not dyadic, so that the order of additions shows in the bits. */
    static float f(int rank, int step, int i) {
        return (float) Math.sin(rank * 31.7 + step * 7.3 + i * 0.37) * (1 + i % 5);
    }

    /** Four kinds of gradients, several buckets (cap 1 KiB), three steps: every one is the rank-order average. */
    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4})
    void averagesEveryKindOfGradientInRankOrder(int w) {
        for (boolean fromComm : new boolean[] {true, false}) {
            List<float[][]> got = Ranks.run(w, fromComm, comm -> {
                float[] a = new float[1000];
                double[] d = new double[300];
                try (HostBuffer h = HostBuffer.allocate(500, DataType.FLOAT32);
                     GradientReducer r = GradientReducer.builder(comm).bucketCapBytes(1024)
                             .register("a", a).register("d", d).register("h", h, 500, DataType.FLOAT32)
                             .registerView("v", 200, DataType.FLOAT32).deterministic(true).build()) {
                    if (!fromComm) {
                        assertNotSame(comm, r.communicator());
                        assertTrue(r.communicator().config().deterministic());
                    }
                    assertEquals(List.of(List.of("v"), List.of("h"), List.of("d"), List.of("a")), r.bucketLayout());
                    HostBuffer v = r.gradientView("v");
                    float[][] out = new float[3 * 4][];
                    for (int s = 0; s < 3; s++) {
                        for (int i = 0; i < 200; i++) {
                            v.putFloat(i, f(comm.rank(), s, i + 3000));
                        }
                        r.markReady(v);
                        for (int i = 0; i < 500; i++) {
                            h.putFloat(i, f(comm.rank(), s, i + 2000));
                        }
                        r.markReady(h);
                        for (int i = 0; i < 300; i++) {
                            d[i] = f(comm.rank(), s, i + 1000) / 3.0;
                        }
                        r.markReady(d);
                        for (int i = 0; i < 1000; i++) {
                            a[i] = f(comm.rank(), s, i);
                        }
                        r.markReady(a);
                        r.finish();
                        out[s * 4] = a.clone();
                        float[] dd = new float[600];
                        for (int i = 0; i < 300; i++) {
                            long bits = Double.doubleToRawLongBits(d[i]);
                            dd[2 * i] = Float.intBitsToFloat((int) bits);
                            dd[2 * i + 1] = Float.intBitsToFloat((int) (bits >>> 32));
                        }
                        out[s * 4 + 1] = dd;
                        out[s * 4 + 2] = read(h, 500);
                        out[s * 4 + 3] = read(v, 200);
                    }
                    assertEquals(3, r.steps());
                    return out;
                }
            });
            for (int s = 0; s < 3; s++) {
                float[] a = new float[1000];
                float[] h = new float[500];
                float[] v = new float[200];
                double[] d = new double[300];
                for (int rank = 0; rank < w; rank++) {
                    for (int i = 0; i < 1000; i++) {
                        a[i] = rank == 0 ? f(rank, s, i) : a[i] + f(rank, s, i);
                    }
                    for (int i = 0; i < 500; i++) {
                        h[i] = rank == 0 ? f(rank, s, i + 2000) : h[i] + f(rank, s, i + 2000);
                    }
                    for (int i = 0; i < 200; i++) {
                        v[i] = rank == 0 ? f(rank, s, i + 3000) : v[i] + f(rank, s, i + 3000);
                    }
                    for (int i = 0; i < 300; i++) {
                        d[i] = rank == 0 ? f(rank, s, i + 1000) / 3.0 : d[i] + f(rank, s, i + 1000) / 3.0;
                    }
                }
                div(a, w);
                div(h, w);
                div(v, w);
                for (int i = 0; i < 300; i++) {
                    d[i] = w == 1 ? d[i] : d[i] / w;
                }
                for (int rank = 0; rank < w; rank++) {
                    float[][] o = got.get(rank);
                    assertArrayEquals(a, o[s * 4], "float[] step " + s + " rank " + rank);
                    assertArrayEquals(h, o[s * 4 + 2], "host buffer step " + s + " rank " + rank);
                    assertArrayEquals(v, o[s * 4 + 3], "view step " + s + " rank " + rank);
                    for (int i = 0; i < 300; i++) {
                        long bits = Double.doubleToRawLongBits(d[i]);
                        assertEquals((int) bits, Float.floatToRawIntBits(o[s * 4 + 1][2 * i]), "double[] " + i);
                        assertEquals((int) (bits >>> 32), Float.floatToRawIntBits(o[s * 4 + 1][2 * i + 1]), "double[] " + i);
                    }
                }
            }
        }
    }

    static float[] read(HostBuffer b, int n) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = b.getFloat(i);
        }
        return out;
    }

    static void div(float[] x, int w) {
        if (w == 1) {
            return;
        }
        float d = w;
        for (int i = 0; i < x.length; i++) {
            x[i] = x[i] / d;
        }
    }

    @Test
    void bucketsFillInReverseRegistrationOrderUpToTheCap() {
        Ranks.run(1, false, comm -> {
            try (GradientReducer r = GradientReducer.builder(comm).bucketCapBytes(100)
                    .register("p0", new float[10]).register("p1", new float[10]).register("p2", new float[10])
                    .register("big", new double[20]).register("p4", new float[5]).build()) {
                // 20 + 40 + 40 bytes fill the first bucket to the cap exactly; 160 bytes of doubles exceed it alone
                assertEquals(List.of(List.of("p4", "p2", "p1"), List.of("big"), List.of("p0")), r.bucketLayout());
            }
            try (GradientReducer r = GradientReducer.builder(comm).register("p0", new float[10])
                    .register("p1", new float[10]).build()) {
                assertEquals(List.of(List.of("p1", "p0")), r.bucketLayout(), "default cap 25 MiB");
            }
            return null;
        });
    }

    /** Ranks that finish gradients in different orders still issue the buckets' all-reduces in the same order. */
    @Test
    void ranksMayMarkGradientsReadyInDifferentOrders() {
        List<float[]> got = Ranks.run(3, true, comm -> {
            float[][] g = new float[6][64];
            GradientReducer.Builder b = GradientReducer.builder(comm).bucketCapBytes(256);
            for (int p = 0; p < 6; p++) {
                b.register("p" + p, g[p]);
            }
            try (GradientReducer r = b.build()) {
                assertEquals(6, r.bucketLayout().size());
                for (int p = 0; p < 6; p++) {
                    java.util.Arrays.fill(g[p], comm.rank() + p);
                }
                for (int k = 0; k < 6; k++) {
                    r.markReady(g[comm.rank() == 1 ? k : 5 - k]);
                }
                r.finish();
                float[] out = new float[6];
                for (int p = 0; p < 6; p++) {
                    out[p] = g[p][63];
                }
                return out;
            }
        });
        for (float[] o : got) {
            assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, o);
        }
    }

    @Test
    void unusedParametersAreNamedAndTheNextStepWorks() {
        List<String> msgs = Ranks.run(2, false, comm -> {
            float[] a = new float[16];
            float[] b = new float[16];
            float[] c = new float[16];
            try (GradientReducer r = GradientReducer.builder(comm).bucketCapBytes(64)
                    .register("fc.weight", a).register("unused.bias", b).register("head.weight", c).build()) {
                r.markReady(c);
                r.markReady(a);
                InvalidUsageException e = assertThrows(InvalidUsageException.class, r::finish);
                java.util.Arrays.fill(a, comm.rank());
                java.util.Arrays.fill(b, comm.rank());
                java.util.Arrays.fill(c, comm.rank());
                r.markReady(c);
                r.markReady(b);
                r.markReady(a);
                r.finish();
                assertEquals(0.5f, b[0]);
                return e.getMessage();
            }
        });
        for (String m : msgs) {
            assertTrue(m.contains("unused.bias") && m.contains("never became ready"), m);
            assertTrue(!m.contains("fc.weight") && !m.contains("head.weight"), m);
        }
    }

    @Test
    void usageErrorsAreClear() {
        Ranks.run(1, false, comm -> {
            InvalidUsageException cap = assertThrows(InvalidUsageException.class,
                    () -> GradientReducer.builder(comm).bucketCapBytes(0));
            assertTrue(cap.getMessage().contains("rank=0 GradientReducer: bucketCapBytes=0"), cap.getMessage());
            assertThrows(InvalidUsageException.class, () -> GradientReducer.builder(comm).wireSegmentBytes(1));
            float[] g = new float[4];
            InvalidUsageException twice = assertThrows(InvalidUsageException.class,
                    () -> GradientReducer.builder(comm).register("w", g).register("w2", g));
            assertTrue(twice.getMessage().contains("'w2'") && twice.getMessage().contains("'w'"), twice.getMessage());
            InvalidUsageException name = assertThrows(InvalidUsageException.class,
                    () -> GradientReducer.builder(comm).register("w", g).register("w", new float[2]));
            assertTrue(name.getMessage().contains("registered twice"), name.getMessage());
            assertThrows(InvalidUsageException.class, () -> GradientReducer.builder(comm).build());
            try (GradientReducer r = GradientReducer.builder(comm).register("w", g).build()) {
                InvalidUsageException unknown = assertThrows(InvalidUsageException.class,
                        () -> r.markReady(new float[4]));
                assertTrue(unknown.getMessage().contains("not a gradient registered"), unknown.getMessage());
                assertThrows(InvalidUsageException.class, () -> r.markReady((float[]) null));
                r.markReady(g);
                InvalidUsageException again = assertThrows(InvalidUsageException.class, () -> r.markReady(g));
                assertTrue(again.getMessage().contains("already marked ready"), again.getMessage());
                assertThrows(InvalidUsageException.class, r::noSync);
                r.finish();
                assertThrows(InvalidUsageException.class, () -> r.gradientView("w"));
            }
            return null;
        });
    }

    /**
     * A closed reducer refuses every call (its buckets' memory is freed: a copy into it crashed the JVM), and a
     * host-buffer gradient its owner closed is refused by markReady instead of being read.
     */
    @Test
    void aClosedReducerOrAClosedGradientIsRefusedNeverTouched() {
        Ranks.run(2, false, comm -> {
            float[] g1 = new float[1 << 16];
            float[] g2 = new float[1 << 16];
            GradientReducer r = GradientReducer.builder(comm).register("g1", g1).register("g2", g2)
                    .parameter(g1).bucketCapBytes(64L << 20).build();
            r.close();
            r.close(); // idempotent
            for (org.junit.jupiter.api.function.Executable call : List.<org.junit.jupiter.api.function.Executable>of(
                    () -> r.markReady(g2), r::finish, r::noSync, () -> r.broadcastParameters(0),
                    () -> r.gradientView("g1"))) {
                InvalidUsageException e = assertThrows(InvalidUsageException.class, call);
                assertTrue(e.getMessage().contains("rank=" + comm.rank()) && e.getMessage().contains("closed"),
                        e.getMessage());
            }
            try (HostBuffer h = HostBuffer.allocate(1 << 16, DataType.FLOAT32);
                 GradientReducer hr = GradientReducer.builder(comm).register("h", h, 1 << 16, DataType.FLOAT32)
                         .parameter(g1).build()) {
                hr.markReady(h);
                InvalidUsageException inStep = assertThrows(InvalidUsageException.class,
                        () -> hr.broadcastParameters(0));
                assertTrue(inStep.getMessage().contains("inside a step"), inStep.getMessage());
                hr.finish();
            }
            for (WireFormat wire : new WireFormat[] {WireFormat.FP32, WireFormat.BF16}) {
                HostBuffer h = HostBuffer.allocate(1 << 16, DataType.FLOAT32);
                float[] x = new float[8];
                try (GradientReducer hr = GradientReducer.builder(comm).wireFormat(wire)
                        .register("h", h, 1 << 16, DataType.FLOAT32).register("x", x).build()) {
                    hr.markReady(h);
                    hr.markReady(x);
                    hr.finish();
                    h.close(); // the owner frees a registered gradient
                    InvalidUsageException e = assertThrows(InvalidUsageException.class, () -> hr.markReady(h));
                    assertTrue(e.getMessage().contains("gradient 'h' is a closed buffer"), e.getMessage());
                }
            }
            // bf16: a later bucket starts with an earlier one and narrows its gradients then (it crashed the JVM
            // on a gradient closed after its markReady)
            int n = 1 << 14;
            HostBuffer g = HostBuffer.allocate(n, DataType.FLOAT32);
            try (HostBuffer h = HostBuffer.allocate(n, DataType.FLOAT32);
                 GradientReducer hr = GradientReducer.builder(comm).wireFormat(WireFormat.BF16)
                         .register("g", g, n, DataType.FLOAT32).register("h", h, n, DataType.FLOAT32)
                         .bucketCapBytes(4L * n).build()) {
                assertEquals(List.of(List.of("h"), List.of("g")), hr.bucketLayout());
                hr.markReady(g);
                g.close();
                InvalidUsageException e = assertThrows(InvalidUsageException.class, () -> hr.markReady(h));
                assertTrue(e.getMessage().contains("gradient 'g' is a closed buffer"), e.getMessage());
                InvalidUsageException f = assertThrows(InvalidUsageException.class, hr::finish);
                assertTrue(f.getMessage().contains("gradient 'g' is a closed buffer"), f.getMessage());
            }
            return null;
        });
    }

    /** Ranks that registered other parameters fail at build, every one of them (the root's broadcast did not). */
    @Test
    void ranksWithOtherParametersAreRefusedAtBuild() {
        List<String> messages = Ranks.run(2, false, comm -> {
            GradientReducer.Builder b = GradientReducer.builder(comm).register("g", new float[4])
                    .parameter(new float[100 + 50 * comm.rank()]);
            return assertThrows(InvalidUsageException.class, b::build).getMessage();
        });
        for (String m : messages) {
            assertTrue(m.contains("registered other gradients or parameters"), m);
        }
    }

    @Test
    @SuppressWarnings("try") // the scope is the point: its resource is never referenced in the body
    void noSyncAccumulatesLocallyThenAveragesTheSum() {
        List<float[]> got = Ranks.run(2, false, comm -> {
            float[] g = new float[8];
            try (GradientReducer r = GradientReducer.builder(comm).register("g", g).build()) {
                for (int micro = 0; micro < 3; micro++) {
                    try (GradientReducer.NoSync s = r.noSync()) {
                        for (int i = 0; i < g.length; i++) {
                            g[i] += comm.rank() + 1;
                        }
                        r.markReady(g);
                        r.finish();
                    }
                    assertEquals((micro + 1f) * (comm.rank() + 1), g[0], "no communication inside noSync");
                }
                for (int i = 0; i < g.length; i++) {
                    g[i] += comm.rank() + 1;
                }
                r.markReady(g);
                r.finish();
                assertEquals(1, r.steps());
                return g.clone();
            }
        });
        for (float[] g : got) {
            assertEquals(6f, g[0]); // (4 * 1 + 4 * 2) / 2
        }
    }

    @Test
    void rebuildTakesRankZerosReadyOrderAndViewsKeepTheirValues() {
        Ranks.run(2, false, comm -> {
            float[] a = new float[8];
            float[] b = new float[8];
            try (GradientReducer r = GradientReducer.builder(comm).bucketCapBytes(32).rebuildBuckets(true)
                    .register("a", a).register("b", b).registerView("c", 8, DataType.FLOAT32).build()) {
                assertEquals(List.of(List.of("c"), List.of("b"), List.of("a")), r.bucketLayout());
                HostBuffer c = r.gradientView("c");
                for (int i = 0; i < 8; i++) {
                    c.putFloat(i, comm.rank() * 2);
                }
                java.util.Arrays.fill(a, comm.rank());
                java.util.Arrays.fill(b, comm.rank());
                if (comm.rank() == 0) { // rank 0's order wins: a, b, c
                    r.markReady(a);
                    r.markReady(b);
                    r.markReady(c);
                } else {
                    r.markReady(c);
                    r.markReady(a);
                    r.markReady(b);
                }
                r.finish();
                assertEquals(List.of(List.of("a"), List.of("b"), List.of("c")), r.bucketLayout());
                HostBuffer c2 = r.gradientView("c");
                assertNotSame(c, c2);
                assertEquals(1f, c2.getFloat(7), "the new view holds the averaged gradient");
                assertThrows(InvalidUsageException.class, () -> r.markReady(c));
                for (int i = 0; i < 8; i++) {
                    c2.putFloat(i, comm.rank() * 4);
                }
                r.markReady(a);
                r.markReady(b);
                r.markReady(c2);
                r.finish();
                assertEquals(2f, c2.getFloat(0));
                assertSame(c2, r.gradientView("c"));
            }
            return null;
        });
    }

    @Test
    void broadcastParametersPacksEveryTensorFromTheRoot() {
        List<Object[]> got = Ranks.run(3, false, comm -> {
            float[] w = {comm.rank(), comm.rank() + 0.5f};
            double[] d = {comm.rank() * 10.0};
            HostBuffer h = HostBuffer.allocate(3, DataType.FLOAT32);
            h.putFloat(2, comm.rank() + 100f);
            try (h; GradientReducer r = GradientReducer.builder(comm).register("g", new float[2])
                    .parameter(w).parameter(d).parameter(h).build()) {
                r.broadcastParameters(1);
                return new Object[] {w, d, h.getFloat(2)};
            }
        });
        for (Object[] o : got) {
            assertArrayEquals(new float[] {1f, 1.5f}, (float[]) o[0]);
            assertArrayEquals(new double[] {10.0}, (double[]) o[1]);
            assertEquals(101f, (float) o[2]);
        }
    }

    /** bf16 and fp16 wires: the average within the 16-bit type's rounding of the fp32 average. */
    @ParameterizedTest
    @ValueSource(strings = {"BF16", "FP16"})
    void sixteenBitWireAveragesWithinItsRounding(String format) {
        WireFormat wf = WireFormat.valueOf(format);
        double tol = wf == WireFormat.BF16 ? 1.0 / 64 : 1.0 / 512; // a few ulps of each type, relative
        List<float[]> got = Ranks.run(4, false, comm -> {
            float[] g = new float[1000];
            try (GradientReducer r = GradientReducer.builder(comm).wireFormat(wf).register("g", g).build()) {
                assertEquals(2000, r.wireBytesPerStep());
                for (int i = 0; i < g.length; i++) {
                    g[i] = f(comm.rank(), 0, i);
                }
                r.markReady(g);
                r.finish();
                return g.clone();
            }
        });
        for (int i = 0; i < 1000; i++) {
            double exact = (f(0, 0, i) + f(1, 0, i) + f(2, 0, i) + f(3, 0, i)) / 4.0;
            double scale = Math.abs(f(0, 0, i)) + Math.abs(f(1, 0, i)) + Math.abs(f(2, 0, i)) + Math.abs(f(3, 0, i));
            assertEquals(exact, got.get(0)[i], tol * scale, "element " + i);
            assertEquals(got.get(0)[i], got.get(3)[i]);
        }
    }

    /**
     * A compressed bucket larger than one segment: segments cross gradient boundaries, and every kind of gradient
     * (array, host buffer, view) gets exactly the bf16 all-reduce of its narrowed values.
     */
    @Test
    void compressedBucketInSegmentsGivesTheBf16AverageOfEveryGradient() {
        int na = 400_000;
        int nh = 300_000;
        int nv = 500_000;
        List<float[]> got = Ranks.run(2, false, comm -> {
            float[] a = new float[na];
            try (HostBuffer h = HostBuffer.allocate(nh, DataType.FLOAT32);
                 GradientReducer r = GradientReducer.builder(comm).wireFormat(WireFormat.BF16).wireSegmentBytes(1 << 20)
                         .register("a", a)
                         .register("h", h, nh, DataType.FLOAT32).registerView("v", nv, DataType.FLOAT32).build()) {
                assertEquals(1, r.bucketLayout().size());
                HostBuffer v = r.gradientView("v");
                for (int i = 0; i < nv; i++) {
                    v.putFloat(i, f(comm.rank(), 0, i));
                }
                for (int i = 0; i < nh; i++) {
                    h.putFloat(i, f(comm.rank(), 0, nv + i));
                }
                for (int i = 0; i < na; i++) {
                    a[i] = f(comm.rank(), 0, nv + nh + i);
                }
                r.markReady(v);
                r.markReady(h);
                r.markReady(a);
                r.finish();
                float[] out = new float[nv + nh + na];
                for (int i = 0; i < nv; i++) {
                    out[i] = v.getFloat(i);
                }
                for (int i = 0; i < nh; i++) {
                    out[nv + i] = h.getFloat(i);
                }
                System.arraycopy(a, 0, out, nv + nh, na);
                return out;
            }
        });
        for (int i = 0; i < nv + nh + na; i++) {
            float c0 = io.jccl.reduce.HalfFloats.bf16ToFloat(io.jccl.reduce.HalfFloats.floatToBf16(f(0, 0, i)));
            float c1 = io.jccl.reduce.HalfFloats.bf16ToFloat(io.jccl.reduce.HalfFloats.floatToBf16(f(1, 0, i)));
            float sum = io.jccl.reduce.HalfFloats.bf16ToFloat(io.jccl.reduce.HalfFloats.floatToBf16(c0 + c1));
            float avg = io.jccl.reduce.HalfFloats.bf16ToFloat(io.jccl.reduce.HalfFloats.floatToBf16(sum / 2));
            assertEquals(avg, got.get(0)[i], "element " + i);
            assertEquals(avg, got.get(1)[i], "element " + i);
        }
    }

    /**
     * Error feedback: over many steps the sum of what was sent tracks the sum of the true gradients to within one
     * residual (half a bf16 ulp), while without it the rounding error grows with every step.
     */
    @Test
    void errorFeedbackCarriesTheRoundingResidualToTheNextStep() {
        double[] drift = new double[2];
        for (int ef = 0; ef < 2; ef++) {
            boolean on = ef == 1;
            drift[ef] = Ranks.run(1, false, comm -> {
                float[] g = new float[64];
                try (GradientReducer r = GradientReducer.builder(comm).wireFormat(WireFormat.BF16).errorFeedback(on)
                        .register("g", g).build()) {
                    double sent = 0;
                    double truth = 0;
                    for (int s = 0; s < 200; s++) {
                        java.util.Arrays.fill(g, 0.1003f);
                        truth += 0.1003f;
                        r.markReady(g);
                        r.finish();
                        sent += g[5];
                    }
                    return Math.abs(sent - truth);
                }
            }).get(0);
        }
        assertTrue(drift[1] < 0.0005, "with error feedback: drift " + drift[1]);
        assertTrue(drift[0] > 0.01, "without: drift " + drift[0]);
    }

    /** Once warm, a step (markReady of every gradient, finish) allocates at most 1 KiB on the calling thread. */
    @ParameterizedTest
    @ValueSource(strings = {"FP32", "BF16"})
    void aWarmStepAllocatesAtMostOneKibibyte(String format) {
        List<Long> perStep = Ranks.run(2, false, comm -> {
            float[][] g = new float[8][4096];
            GradientReducer.Builder b = GradientReducer.builder(comm).bucketCapBytes(3 * 4096 * 4)
                    .wireFormat(WireFormat.valueOf(format)).errorFeedback(true);
            for (int p = 0; p < g.length; p++) {
                b.register("p" + p, g[p]);
            }
            com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            long tid = Thread.currentThread().getId();
            try (GradientReducer r = b.build()) {
                long before = 0;
                int steps = 300;
                int measured = 200;
                for (int s = 0; s < steps; s++) {
                    if (s == steps - measured) {
                        before = mx.getThreadAllocatedBytes(tid);
                    }
                    for (int p = g.length - 1; p >= 0; p--) {
                        r.markReady(g[p]);
                    }
                    r.finish();
                }
                return (mx.getThreadAllocatedBytes(tid) - before) / measured;
            }
        });
        for (long bytes : perStep) {
            assertTrue(bytes <= 1024, "allocated " + bytes + " B per step (3 buckets)");
        }
    }

    /**
     * With a 16-bit wire a bucket goes as several all-reduces (here 8 wire segments, as a 64 MiB fp32 bucket in the
     * default 4 MiB segments: jccl-train --reducer-bench 64M), and a warm step still allocates at most 1 KiB on the
     * calling thread: each all-reduce call allocates only its header and its future (80 B), none of the call's body,
     * bindings, queue node or task, and the wait for it nothing (2.2 KiB per step before).
     */
    @ParameterizedTest
    @CsvSource({"FP32, false", "BF16, false", "BF16, true", "FP16, false"})
    void aWarmStepOfEightWireSegmentsAllocatesAtMostOneKibibyte(String format, boolean errorFeedback) {
        WireFormat wire = WireFormat.valueOf(format);
        int segmentElems = 4096;
        List<Long> perStep = Ranks.run(2, false, comm -> {
            float[] g = new float[8 * segmentElems];
            com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            long tid = Thread.currentThread().getId();
            try (GradientReducer r = GradientReducer.builder(comm).wireFormat(wire).errorFeedback(errorFeedback)
                    .wireSegmentBytes(2L * segmentElems).register("g", g).build()) {
                assertEquals(1, r.bucketLayout().size());
                long before = 0;
                int steps = 400;
                int measured = 200;
                for (int s = 0; s < steps; s++) {
                    if (s == steps - measured) {
                        before = mx.getThreadAllocatedBytes(tid);
                    }
                    r.markReady(g);
                    r.finish();
                }
                return (mx.getThreadAllocatedBytes(tid) - before) / measured;
            }
        });
        System.out.println(format + (errorFeedback ? "+ef" : "") + ", one bucket in 8 wire segments: bytes per step "
                + perStep);
        for (long bytes : perStep) {
            assertTrue(bytes <= 1024, format + (errorFeedback ? " with error feedback" : "") + ": allocated " + bytes
                    + " B per step (one bucket, 8 all-reduces with a 16-bit wire)");
        }
    }

    /** Views are the bucket's memory: what the backward pass writes there is what is sent, with no copy. */
    @Test
    void viewIsTheBucketMemory() {
        Ranks.run(2, false, comm -> {
            try (GradientReducer r = GradientReducer.builder(comm).registerView("v", 4, DataType.FLOAT64).build()) {
                HostBuffer v = r.gradientView("v");
                assertEquals(32, v.byteSize());
                v.putDouble(3, comm.rank() == 0 ? 1.0 : 3.0);
                r.markReady(v);
                r.finish();
                assertEquals(2.0, v.getDouble(3));
            }
            return null;
        });
    }


    @Test
    void ranksThatRegisterInAnotherOrderAreRefusedAtBuild() {
        List<String> messages = Ranks.run(2, false, comm -> {
            float[] x = new float[3];
            float[] y = new float[5];
            GradientReducer.Builder b = GradientReducer.builder(comm);
            if (comm.rank() == 0) {
                b.register("x", x).register("y", y);
            } else {
                b.register("y", y).register("x", x); // a silent mix of x and y without the check
            }
            return assertThrows(InvalidUsageException.class, b::build).getMessage();
        });
        assertTrue(messages.get(0).contains("rank=0 GradientReducer: ranks [1] registered other gradients"),
                messages.get(0));
        assertTrue(messages.get(1).contains("rank=1 GradientReducer: ranks [0] registered other gradients"),
                messages.get(1));
    }
}
