package io.jccl.net;

import io.jccl.InvalidUsageException;
import io.jccl.Knob;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.Collections;
import java.util.List;

/**
 * The address a rank advertises to its peers (and listens on): of the interface named by {@code JCCL_SOCKET_IFNAME}
 * when set, else the one that routes to the store; always of the store's address family, so that a job whose
 * {@code MASTER_ADDR} is IPv6 moves its rank data over IPv6 too (as NCCL's {@code NCCL_SOCKET_FAMILY} follows the
 * bootstrap's), and never a loopback address while the host has another one that is up.
 *
 * <p>Stateless; thread-safe.
 */
final class AdvertisedAddress {
    private AdvertisedAddress() {
    }

    /**
     * The address to advertise, given {@code towardStore} (this rank's end of its connection to the store) and
     * {@link Knob#SOCKET_IFNAME}.
     *
     * @throws InvalidUsageException when the named interface does not exist or has no address of the store's family
     */
    static InetAddress choose(InetAddress towardStore) {
        boolean v4 = towardStore instanceof Inet4Address;
        String ifname = Knob.SOCKET_IFNAME.get();
        if (ifname.isEmpty()) {
            if (!towardStore.isLoopbackAddress()) {
                return towardStore;
            }
            InetAddress other = firstNonLoopback(v4);
            return other != null ? other : towardStore;
        }
        try {
            NetworkInterface nif = NetworkInterface.getByName(ifname);
            if (nif == null) {
                throw new InvalidUsageException(Knob.SOCKET_IFNAME.envName() + "=" + ifname + ": no such interface");
            }
            return ofFamily(ifname, Collections.list(nif.getInetAddresses()), v4, towardStore);
        } catch (SocketException e) {
            throw new InvalidUsageException(Knob.SOCKET_IFNAME.envName() + "=" + ifname + ": " + e.getMessage());
        }
    }

    /**
     * The first address of {@code addresses} (interface {@code ifname}'s) of the store's family, IPv4 when
     * {@code v4}; link-local IPv6 addresses do not count (they need a scope that peers cannot share).
     *
     * @throws InvalidUsageException naming the interface, the family and the store's address when there is none
     */
    static InetAddress ofFamily(String ifname, List<InetAddress> addresses, boolean v4, InetAddress towardStore) {
        for (InetAddress a : addresses) {
            if ((a instanceof Inet4Address) == v4 && !a.isLinkLocalAddress()) {
                return a;
            }
        }
        throw new InvalidUsageException(Knob.SOCKET_IFNAME.envName() + "=" + ifname + " has no "
                + (v4 ? "IPv4" : "IPv6 (other than link-local)") + " address, the family of the store's ("
                + towardStore.getHostAddress() + ", from MASTER_ADDR); its addresses: " + addresses
                + "; name an interface with one, or give MASTER_ADDR of the interface's family");
    }

    /** The first address of an up, non-loopback interface (IPv4 first when asked), or null. */
    static InetAddress firstNonLoopback(boolean preferV4) {
        InetAddress fallback = null;
        try {
            for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (!nif.isUp() || nif.isLoopback()) {
                    continue;
                }
                for (InetAddress a : Collections.list(nif.getInetAddresses())) {
                    if (a.isLoopbackAddress() || a.isLinkLocalAddress()) {
                        continue;
                    }
                    if ((a instanceof Inet4Address) == preferV4) {
                        return a;
                    }
                    if (fallback == null) {
                        fallback = a;
                    }
                }
            }
        } catch (SocketException e) {
            return null;
        }
        return fallback;
    }
}
