package io.jccl.conformance;

/** The conformance suite over the in-process transport (ranks as threads). */
class InProcessConformanceTest extends AbstractConformanceTest {
    @Override
    protected Cluster cluster() {
        return Cluster.IN_PROCESS;
    }
}
