package io.jccl.net;

import io.jccl.CommConfig;
import io.jccl.CommTimeoutException;
import io.jccl.net.store.TcpStoreServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A start-up that times out names the deadline in force, not what was left of it at the last step. */
@Timeout(60)
class StartupTimeoutTest {
    @Test
    void aMissingRankFailsStartUpNamingTheDeadlineInForce() {
        CommConfig cfg = CommConfig.builder().timeoutMillis(4000).build();
        try (TcpStoreServer store = TcpStoreServer.start(new InetSocketAddress("127.0.0.1", 0))) {
            LaunchInfo info = new LaunchInfo(0, 2, 0, "127.0.0.1", store.port()); // rank 1 never comes
            CommTimeoutException e = assertThrows(CommTimeoutException.class,
                    () -> NetCommunicators.create(info, cfg, false, "tcp"));
            assertTrue(e.getMessage().startsWith("rank=0 start-up did not complete within 4000 ms (JCCL_TIMEOUT_MS)"),
                    e.getMessage());
            assertTrue(e.getMessage().contains("was not set by the deadline"), e.getMessage());
        }
    }
}
