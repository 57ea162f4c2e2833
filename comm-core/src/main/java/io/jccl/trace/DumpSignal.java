package io.jccl.trace;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code kill -USR1 <pid>} dumps the flight recorder of every live communicator of the process (a path that
 * needs no JMX client: {@code jcmd} lists the pids). Installed once, when the first communicator registers;
 * through {@code sun.misc.Signal} (module jdk.unsupported), looked up by reflection so that a JVM without it only
 * loses this path. Thread-safe.
 */
final class DumpSignal {
    private static final Logger LOG = LoggerFactory.getLogger(DumpSignal.class);
    private static final Set<CommTrace> LIVE = ConcurrentHashMap.newKeySet();
    private static final Object LOCK = new Object();
    private static boolean installed;

    private DumpSignal() {
    }

    static void register(CommTrace t) {
        LIVE.add(t);
        synchronized (LOCK) {
            if (!installed) {
                installed = true;
                install();
            }
        }
    }

    static void unregister(CommTrace t) {
        LIVE.remove(t);
    }

    private static void install() {
        try {
            Class<?> signal = Class.forName("sun.misc.Signal");
            Class<?> handlerType = Class.forName("sun.misc.SignalHandler");
            Object usr1 = signal.getConstructor(String.class).newInstance("USR1");
            InvocationHandler h = (proxy, m, args) -> handle(proxy, m, args);
            Object handler = Proxy.newProxyInstance(handlerType.getClassLoader(), new Class<?>[] {handlerType}, h);
            signal.getMethod("handle", signal, handlerType).invoke(null, usr1, handler);
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            LOG.debug("no SIGUSR1 dump of the flight recorder: {}", e.toString());
        }
    }

    private static Object handle(Object proxy, Method m, Object[] args) {
        switch (m.getName()) {
            case "handle":
                for (CommTrace t : LIVE) {
                    t.dumpAsync("SIGUSR1");
                }
                return null;
            case "hashCode":
                return System.identityHashCode(proxy);
            case "equals":
                return proxy == args[0];
            default:
                return "jccl flight recorder dump on SIGUSR1";
        }
    }
}
