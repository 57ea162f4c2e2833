package io.jccl.trace;

import java.util.Map;

/**
 * A communicator's counters through JMX, one MBean per communicator named
 * {@code io.jccl:type=Communicator,comm=<id>,rank=<rank>}: readable by JConsole, Prometheus' JMX exporter or
 * Micrometer without JCCL depending on them. Counts are of collective operations that ended (point-to-point
 * messages are not counted); bytes are those the operations' transfers moved.
 */
public interface CommMetricsMXBean {
    /** This process's rank in the communicator. */
    int getRank();

    /** The communicator's world size. */
    int getSize();

    /** Collective operations ended (done or failed). */
    long getOperations();

    /** Collective operations that failed. */
    long getErrors();

    /** Seconds spent running collective operations. */
    double getSeconds();

    /** Bytes sent to all peers. */
    long getBytesSent();

    /** Bytes received from all peers. */
    long getBytesReceived();

    /** Operations ended, by collective label ("all_reduce", ...); collectives never run are left out. */
    Map<String, Long> getOperationsByCollective();

    /** Operations failed, by collective label. */
    Map<String, Long> getErrorsByCollective();

    /** Seconds spent, by collective label. */
    Map<String, Double> getSecondsByCollective();

    /** Bytes sent to each peer, by communicator rank. */
    long[] getBytesSentByPeer();

    /** Bytes received from each peer, by communicator rank. */
    long[] getBytesReceivedByPeer();

    /**
     * Writes the flight recorder's dump now ({@code JCCL_TRACE_DIR}).
     *
     * @return the file written, or the error that prevented it
     */
    String dumpFlightRecord();
}
