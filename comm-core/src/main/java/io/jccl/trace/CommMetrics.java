package io.jccl.trace;

import io.jccl.Collective;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@link CommMetricsMXBean} of one communicator, read from its {@link FlightRecorder}'s totals. Thread-safe
 * for reading (a read races the running operation and may lag it by a transfer).
 */
final class CommMetrics implements CommMetricsMXBean {
    private static final Collective[] COLLECTIVES = Collective.values();

    private final CommTrace trace;

    CommMetrics(CommTrace trace) {
        this.trace = trace;
    }

    private FlightRecorder r() {
        return trace.recorder();
    }

    @Override
    public int getRank() {
        return trace.rank();
    }

    @Override
    public int getSize() {
        return r().size();
    }

    @Override
    public long getOperations() {
        return sum(r().operationsByCollective());
    }

    @Override
    public long getErrors() {
        return sum(r().errorsByCollective());
    }

    @Override
    public double getSeconds() {
        return sum(r().nanosByCollective()) / 1e9;
    }

    @Override
    public long getBytesSent() {
        return sum(r().sentToPeer());
    }

    @Override
    public long getBytesReceived() {
        return sum(r().receivedFromPeer());
    }

    @Override
    public Map<String, Long> getOperationsByCollective() {
        return byCollective(r().operationsByCollective());
    }

    @Override
    public Map<String, Long> getErrorsByCollective() {
        return byCollective(r().errorsByCollective());
    }

    @Override
    public Map<String, Double> getSecondsByCollective() {
        Map<String, Double> m = new LinkedHashMap<>();
        long[] ops = r().operationsByCollective();
        long[] nanos = r().nanosByCollective();
        for (int i = 0; i < nanos.length; i++) {
            if (ops[i] > 0) {
                m.put(COLLECTIVES[i].label(), nanos[i] / 1e9);
            }
        }
        return m;
    }

    @Override
    public long[] getBytesSentByPeer() {
        return r().sentToPeer();
    }

    @Override
    public long[] getBytesReceivedByPeer() {
        return r().receivedFromPeer();
    }

    @Override
    public String dumpFlightRecord() {
        return trace.dumpOnRequest("asked through JMX");
    }

    private static Map<String, Long> byCollective(long[] v) {
        Map<String, Long> m = new LinkedHashMap<>();
        for (int i = 0; i < v.length; i++) {
            if (v[i] > 0) {
                m.put(COLLECTIVES[i].label(), v[i]);
            }
        }
        return m;
    }

    private static long sum(long[] v) {
        long s = 0;
        for (long x : v) {
            s += x;
        }
        return s;
    }
}
