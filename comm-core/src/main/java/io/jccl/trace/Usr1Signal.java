package io.jccl.trace;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;

/**
 * Runs an action on {@code kill -USR1 <pid>}, through {@code sun.misc.Signal} (module jdk.unsupported) looked up by
 * reflection, so that a JVM without it only loses this path. The action runs on the JVM's signal thread: it must
 * not block. Once set, the signal no longer ends the process (its default action). Thread-safe.
 */
public final class Usr1Signal {
    private static final Logger LOG = LoggerFactory.getLogger(Usr1Signal.class);

    private Usr1Signal() {
    }

    /**
     * Makes {@code action} the process's SIGUSR1 handler (replacing an earlier one).
     *
     * @return false when the JVM offers no signal handling (the action will never run)
     */
    public static boolean handle(Runnable action) {
        try {
            Class<?> signal = Class.forName("sun.misc.Signal");
            Class<?> handlerType = Class.forName("sun.misc.SignalHandler");
            Object usr1 = signal.getConstructor(String.class).newInstance("USR1");
            InvocationHandler h = (proxy, m, args) -> switch (m.getName()) {
                case "handle" -> {
                    action.run();
                    yield null;
                }
                case "hashCode" -> System.identityHashCode(proxy);
                case "equals" -> proxy == args[0];
                default -> "jccl SIGUSR1 handler";
            };
            Object handler = Proxy.newProxyInstance(handlerType.getClassLoader(), new Class<?>[] {handlerType}, h);
            signal.getMethod("handle", signal, handlerType).invoke(null, usr1, handler);
            return true;
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            LOG.debug("no SIGUSR1 handler: {}", e.toString());
            return false;
        }
    }
}
