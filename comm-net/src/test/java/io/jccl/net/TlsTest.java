package io.jccl.net;

import io.jccl.Collective;
import io.jccl.DataType;
import io.jccl.PeerFailureException;
import io.jccl.ReduceOp;
import io.jccl.net.auth.JobKey;
import io.jccl.net.tcp.Tls;
import io.jccl.transport.OpHeader;
import io.jccl.transport.Segment;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Mutual TLS on rank connections: data moves under a shared certificate; a stranger's certificate is refused. */
@Timeout(60)
@Tag("slow")
class TlsTest {
    @TempDir
    static Path dir;

    private static File cert(String name) throws Exception {
        File key = dir.resolve(name + "-key.pem").toFile();
        File cert = dir.resolve(name + "-cert.pem").toFile();
        Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
                "/CN=" + name, "-keyout", key.getPath(), "-out", cert.getPath()).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        Assumptions.assumeTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "openssl could not make a certificate");
        return cert;
    }

    @BeforeAll
    static void needOpenssl() throws Exception {
        Assumptions.assumeTrue(new File("/usr/bin/openssl").canExecute() || new File("/bin/openssl").canExecute(),
                "openssl is not installed (it makes the test certificates)");
    }

    private static Tls tls(File cert) {
        return Tls.of(cert, new File(cert.getPath().replace("-cert.pem", "-key.pem")), cert);
    }

    private static NettyTransport[] pair(Tls a, Tls b) {
        InetAddress lo = InetAddress.getLoopbackAddress();
        NettyTransport t0 = NettyTransport.start(0, 2, lo, JobKey.none(), 10_000, a);
        NettyTransport t1 = NettyTransport.start(1, 2, lo, JobKey.none(), 10_000, b);
        InetSocketAddress[] all = {t0.listenAddress(), t1.listenAddress()};
        t0.setPeerAddresses(all);
        t1.setPeerAddresses(all);
        return new NettyTransport[] {t0, t1};
    }

    private static long deadline() {
        return System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    }

    @Test
    void dataMovesUnderMutualTls() throws Exception {
        Tls job = tls(cert("job"));
        NettyTransport[] t = pair(job, job);
        try {
            int n = 100_000;
            OpHeader h = new OpHeader(1, 1, Collective.ALL_REDUCE, DataType.FLOAT32, ReduceOp.SUM, -1, n);
            CompletableFuture<Float> got = CompletableFuture.supplyAsync(() -> {
                Segment s = t[0].link(1, 1, deadline()).recv(h, 5, deadline());
                try {
                    assertEquals(4 * n, s.length());
                    return s.buffer().order(ByteOrder.nativeOrder()).getFloat(s.offset() + 4 * (n - 1));
                } finally {
                    s.release();
                }
            }, r -> new Thread(r).start());
            ByteBuffer data = ByteBuffer.allocateDirect(4 * n).order(ByteOrder.nativeOrder());
            data.putFloat(4 * (n - 1), 42.5f);
            t[1].link(0, 1, deadline()).send(h, 5, data, 0, 4 * n);
            assertEquals(42.5f, got.get(30, TimeUnit.SECONDS));
        } finally {
            t[1].close();
            t[0].close();
        }
    }

    @Test
    void anUntrustedCertificateOrNoTlsIsRefused() throws Exception {
        Tls job = tls(cert("job2"));
        Tls stranger = tls(cert("stranger"));
        for (Tls other : new Tls[] {stranger, null}) {
            NettyTransport[] t = pair(job, other);
            try {
                assertThrows(PeerFailureException.class, () -> t[1].link(0, 1, deadline()));
            } finally {
                t[1].close();
                t[0].close();
            }
        }
    }
}
