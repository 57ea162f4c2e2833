package io.jccl.net.store;

/**
 * Wire format of the rendezvous store (rank 0 serves, every rank connects). Each message is a
 * length-prefixed frame; integers are big-endian; strings UTF-8.
 *
 * <pre>
 * request:   int frameLen | short magic | byte version | byte op | long arg | int keyLen | key | int valueLen | value
 * response:  int frameLen | short magic | byte version | byte status | long number | int valueLen | value
 * </pre>
 *
 * <ul>
 *   <li>magic {@code 0x4A53} ("JS"), version {@link #VERSION}; frameLen counts the bytes after itself and is
 *       at most {@link #MAX_FRAME}.</li>
 *   <li>op {@link #OP_SET} (value), {@link #OP_GET} (arg = timeout in ms; the reply waits until the key is
 *       set), {@link #OP_ADD} (arg = delta; number = new value).</li>
 *   <li>status {@link #OK}, {@link #TIMEOUT} or {@link #ERROR} (value = UTF-8 message).</li>
 *   <li>On connect the server first sends a response with status {@link #CHALLENGE} and a 32-byte nonce as
 *       value; the client's first request must be {@link #OP_AUTH} with value HMAC(job key, "store", nonce)
 *       ({@link io.jccl.net.auth.JobKey}). Any other first request, or a wrong MAC, closes the connection.</li>
 * </ul>
 */
public final class StoreProtocol {
    public static final int MAGIC = 0x4A53;
    public static final int VERSION = 1;
    public static final int MAX_FRAME = 16 << 20;

    public static final int OP_SET = 1;
    public static final int OP_GET = 2;
    public static final int OP_ADD = 3;
    public static final int OP_AUTH = 4;

    public static final int OK = 0;
    public static final int TIMEOUT = 1;
    public static final int ERROR = 2;
    public static final int CHALLENGE = 3;

    private StoreProtocol() {
    }

    /**
     * One whole frame, length prefix included: {@code code} (a request's op or a response's status),
     * {@code number} (arg or number), then each of {@code fields} as int length | bytes (a request: key and value;
     * a response: value).
     */
    public static byte[] frame(int code, long number, byte[]... fields) {
        int len = 2 + 1 + 1 + 8;
        for (byte[] f : fields) {
            len += 4 + f.length;
        }
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 + len); // big-endian
        b.putInt(len).putShort((short) MAGIC).put((byte) VERSION).put((byte) code).putLong(number);
        for (byte[] f : fields) {
            b.putInt(f.length).put(f);
        }
        return b.array();
    }
}
