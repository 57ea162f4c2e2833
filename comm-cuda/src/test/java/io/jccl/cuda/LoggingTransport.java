package io.jccl.cuda;

import io.jccl.transport.PeerLink;
import io.jccl.transport.Transport;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.List;

/**
 * A transport whose links add each send ({@code "send <byte offset> <length>"}) to a log, in the order of the calls;
 * everything else is the wrapped transport's (dynamic proxies, so nothing of the SPI is repeated here). For tests
 * that assert an order of events.
 */
final class LoggingTransport {
    private LoggingTransport() {
    }

    /** {@code inner}, its links logging their sends to {@code log}. */
    static Transport of(Transport inner, List<String> log) {
        return proxy(Transport.class, inner, (m, args) -> {
            if (m.getName().equals("link")) {
                PeerLink link = (PeerLink) call(m, inner, args);
                return proxy(PeerLink.class, link, (lm, la) -> {
                    if (lm.getName().equals("send")) {
                        log.add("send " + la[3] + " " + la[4]);
                    }
                    return call(lm, link, la);
                });
            }
            return call(m, inner, args);
        });
    }

    private interface Handler {
        Object handle(Method m, Object[] args) throws Throwable;
    }

    private static <T> T proxy(Class<T> type, T target, Handler h) {
        InvocationHandler ih = (p, m, args) -> m.getDeclaringClass() == Object.class ? call(m, target, args)
                : h.handle(m, args);
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[]{type}, ih));
    }

    private static Object call(Method m, Object target, Object[] args) throws Throwable {
        try {
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
