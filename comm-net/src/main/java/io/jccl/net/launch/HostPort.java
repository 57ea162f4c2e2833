package io.jccl.net.launch;

import io.jccl.InvalidUsageException;

/**
 * A host and an optional port as users write them: {@code host}, {@code host:29500}, {@code 10.0.0.1},
 * {@code [::1]}, {@code [::1]:29500}, or a bare IPv6 address such as {@code fd00::1} (two or more colons
 * without brackets are an address, never an address and a port).
 *
 * @param host name or address, without brackets
 * @param port the port, or -1 when the text gave none
 */
public record HostPort(String host, int port) {
    /**
     * Parses {@code text}.
     *
     * @throws InvalidUsageException naming the text when it is empty, has an unclosed bracket or a bad port
     */
    public static HostPort parse(String text) {
        String t = text == null ? "" : text.trim();
        if (t.isEmpty()) {
            throw new InvalidUsageException("empty host");
        }
        if (t.startsWith("[")) {
            int close = t.indexOf(']');
            if (close < 0) {
                throw new InvalidUsageException("'" + text + "': missing ']' after an IPv6 address");
            }
            String host = t.substring(1, close);
            String rest = t.substring(close + 1);
            if (rest.isEmpty()) {
                return new HostPort(host, -1);
            }
            if (!rest.startsWith(":")) {
                throw new InvalidUsageException("'" + text + "': expected ':port' after ']'");
            }
            return new HostPort(host, port(text, rest.substring(1)));
        }
        int first = t.indexOf(':');
        if (first < 0) {
            return new HostPort(t, -1);
        }
        if (t.indexOf(':', first + 1) >= 0) {
            return new HostPort(t, -1); // bare IPv6
        }
        return new HostPort(t.substring(0, first), port(text, t.substring(first + 1)));
    }

    private static int port(String text, String p) {
        try {
            int v = Integer.parseInt(p);
            if (v < 0 || v > 65535) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new InvalidUsageException("'" + text + "': '" + p + "' is not a TCP port");
        }
    }

    /** {@code host:port}, with brackets around IPv6 addresses. */
    public String format(int portToShow) {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + portToShow;
    }
}
