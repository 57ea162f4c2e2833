package io.jccl.net.auth;

import io.jccl.InvalidUsageException;
import io.jccl.Knob;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;

/**
 * The job's shared secret ({@code JCCL_AUTH_KEY}, or the contents of {@code JCCL_AUTH_KEY_FILE}) and the
 * HMAC-SHA256 challenge-response built on it. Every connection, to the store and between ranks, proves
 * knowledge of the key over a fresh random nonce, so the key never crosses the wire and a recorded
 * handshake cannot be replayed. Without a key, MACs are all zeros: a job without a key accepts only peers
 * without one, and a job with a key refuses peers without it.
 *
 * <p>Immutable; thread-safe.
 */
public final class JobKey {
    /** Length of nonces and MACs in bytes. */
    public static final int BYTES = 32;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final JobKey NONE = new JobKey(null);

    private final byte[] key;

    private JobKey(byte[] key) {
        this.key = key;
    }

    /** The key from the knobs, or {@link #none()}. */
    public static JobKey fromKnobs() {
        String inline = Knob.AUTH_KEY.get();
        String file = Knob.AUTH_KEY_FILE.get();
        if (!inline.isEmpty()) {
            return of(inline.getBytes(StandardCharsets.UTF_8));
        }
        if (!file.isEmpty()) {
            try {
                byte[] k = Files.readAllBytes(Path.of(file));
                String trimmed = new String(k, StandardCharsets.UTF_8).trim();
                if (trimmed.isEmpty()) {
                    throw new InvalidUsageException(Knob.AUTH_KEY_FILE.envName() + "=" + file + " is empty");
                }
                return of(trimmed.getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new InvalidUsageException(Knob.AUTH_KEY_FILE.envName() + "=" + file + " cannot be read: " + e);
            }
        }
        return NONE;
    }

    /** A key from raw bytes (at least 1). */
    public static JobKey of(byte[] secret) {
        if (secret == null || secret.length == 0) {
            throw new InvalidUsageException("job key must not be empty");
        }
        return new JobKey(secret.clone());
    }

    /** No key: MACs are zeros. */
    public static JobKey none() {
        return NONE;
    }

    public boolean isSet() {
        return key != null;
    }

    /** A fresh random nonce. */
    public static byte[] nonce() {
        byte[] n = new byte[BYTES];
        RANDOM.nextBytes(n);
        return n;
    }

    /** HMAC-SHA256 over a label and the parts (each length-prefixed), or zeros without a key. */
    public byte[] mac(String label, byte[]... parts) {
        if (key == null) {
            return new byte[BYTES];
        }
        try {
            Mac m = Mac.getInstance("HmacSHA256");
            m.init(new SecretKeySpec(key, "HmacSHA256"));
            byte[] l = label.getBytes(StandardCharsets.UTF_8);
            m.update(intBytes(l.length));
            m.update(l);
            for (byte[] p : parts) {
                m.update(intBytes(p.length));
                m.update(p);
            }
            return m.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    /** Constant-time check that {@code mac} is the MAC of the label and parts. */
    public boolean verify(byte[] mac, String label, byte[]... parts) {
        return MessageDigest.isEqual(mac, mac(label, parts));
    }

    /** Big-endian bytes of an int, for MAC inputs. */
    public static byte[] intBytes(int v) {
        return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
    }

    @Override
    public String toString() {
        return key == null ? "JobKey{none}" : "JobKey{set}";
    }
}
