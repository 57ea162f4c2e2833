package io.jccl.net.tcp;

import io.jccl.InvalidUsageException;
import io.jccl.Knob;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;

import java.io.File;

/**
 * Optional mutual TLS on rank-to-rank connections ({@code JCCL_TLS_CERT}, {@code JCCL_TLS_KEY},
 * {@code JCCL_TLS_CA}), with the JDK's TLS through Netty's {@code SslHandler}. Both sides present the
 * certificate and require the peer's to chain to the trust anchors; the job-key handshake still runs inside.
 * Immutable; thread-safe.
 *
 * @param server context of the accepting side
 * @param client context of the connecting side
 */
public record Tls(SslContext server, SslContext client) {
    /** TLS from the knobs, or null when {@code JCCL_TLS_CERT} is not set. */
    public static Tls fromKnobs() {
        String cert = Knob.TLS_CERT.get();
        String key = Knob.TLS_KEY.get();
        if (cert.isEmpty() && key.isEmpty()) {
            return null;
        }
        if (cert.isEmpty() || key.isEmpty()) {
            throw new InvalidUsageException("TLS needs both " + Knob.TLS_CERT.envName() + " and " + Knob.TLS_KEY.envName());
        }
        String ca = Knob.TLS_CA.get().isEmpty() ? cert : Knob.TLS_CA.get();
        return of(new File(cert), new File(key), new File(ca));
    }

    /** Mutual TLS with this certificate chain, key and trust anchors (PEM files). */
    public static Tls of(File cert, File key, File ca) {
        try {
            SslContext server = SslContextBuilder.forServer(cert, key).trustManager(ca).clientAuth(ClientAuth.REQUIRE)
                    .sslProvider(SslProvider.JDK).build();
            // peers are identified by the trust anchors (the job's certificate), not by host names
            SslContext client = SslContextBuilder.forClient().keyManager(cert, key).trustManager(ca)
                    .endpointIdentificationAlgorithm(null).sslProvider(SslProvider.JDK).build();
            return new Tls(server, client);
        } catch (Exception e) {
            throw new InvalidUsageException("TLS set-up from " + cert + ", " + key + ", " + ca + " failed: " + e.getMessage());
        }
    }
}
