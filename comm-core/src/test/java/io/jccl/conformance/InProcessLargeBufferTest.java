package io.jccl.conformance;

/** Collectives on host buffers above 2^31 and 2^32 bytes over the in-process transport (ranks as threads). */
class InProcessLargeBufferTest extends AbstractLargeBufferTest {
    @Override
    protected Cluster cluster() {
        return Cluster.IN_PROCESS;
    }
}
