package io.jccl.net.conformance;

import io.jccl.conformance.AbstractLargeBufferTest;
import io.jccl.conformance.Cluster;
import io.jccl.net.NettyCluster;

/**
 * Collectives on host buffers above 2^31 and 2^32 bytes with DATA through shared memory (JCCL_TRANSPORT=shm): two
 * ranks in this JVM, each with its own transport, so every segment goes through the /dev/shm rings.
 */
class ShmLargeBufferTest extends AbstractLargeBufferTest {
    @Override
    protected Cluster cluster() {
        return new NettyCluster("shm");
    }

    /** In place only: the rings carry the same segments out of place, and each case here takes a minute. */
    @Override
    protected boolean outOfPlaceToo() {
        return false;
    }
}
