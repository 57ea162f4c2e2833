package io.jccl.net.conformance;

import io.jccl.conformance.AbstractConformanceTest;
import io.jccl.conformance.Cluster;
import io.jccl.net.NettyCluster;

/** The conformance suite over the Netty TCP transport: W ranks in this JVM, each with its own connections. */
class NettyConformanceTest extends AbstractConformanceTest {
    @Override
    protected Cluster cluster() {
        return new NettyCluster();
    }
}
