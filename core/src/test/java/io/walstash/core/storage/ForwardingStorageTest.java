package io.walstash.core.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The forwarding base hands every call of the SPI to its delegate, so a new Storage method is forwarded in one place. */
class ForwardingStorageTest {
    /** Composed of the others: they reach the delegate through the layer's own create and read. */
    private static final List<String> COMPOSED = List.of("createIfAbsent(String,Content)", "readChecked(String,Reader)");

    private record Call(Method method, List<Object> args) {
    }

    private static String signature(Method method) {
        return method.getName() + Arrays.stream(method.getParameterTypes()).map(Class::getSimpleName)
                .collect(Collectors.joining(",", "(", ")"));
    }

    /** Storage's methods that ForwardingStorage forwards: all but the composed ones. */
    private static List<Method> forwarded() {
        Map<String, Method> bySignature = new TreeMap<>(); // close() is Closeable's and AutoCloseable's too
        for (Method method : Storage.class.getMethods()) {
            if (!Modifier.isStatic(method.getModifiers()) && !COMPOSED.contains(signature(method))) {
                bySignature.putIfAbsent(signature(method), method);
            }
        }
        return List.copyOf(bySignature.values());
    }

    @Test
    void forwardsEveryCallButTheComposedOnesWithItsArgumentsAndAnswer() throws Exception {
        List<Call> calls = new ArrayList<>();
        URI location = URI.create("mem:/here");
        InputStream bytes = new ByteArrayInputStream(new byte[1]);
        Optional<ObjectInfo> info = Optional.empty();
        Stream<ObjectInfo> listing = Stream.empty();
        Storage delegate = (Storage) Proxy.newProxyInstance(Storage.class.getClassLoader(), new Class<?>[] {Storage.class},
                (proxy, method, args) -> {
                    calls.add(new Call(method, args == null ? List.of() : Arrays.asList(args)));
                    Class<?> type = method.getReturnType();
                    return type == URI.class ? location : type == boolean.class ? Boolean.TRUE
                            : type == InputStream.class ? bytes : type == Optional.class ? info
                            : type == Stream.class ? listing : null;
                });
        Storage layer = new ForwardingStorage(delegate) {
        };

        List<Method> methods = forwarded();
        assertThat(methods).extracting(ForwardingStorageTest::signature).contains("location()", "deleteAll(Collection)", "close()");
        for (Method method : methods) {
            Method declared = ForwardingStorage.class.getDeclaredMethod(method.getName(), method.getParameterTypes());
            assertThat(Modifier.isAbstract(declared.getModifiers())).as(signature(method)).isFalse();
            Object[] args = Arrays.stream(method.getParameterTypes()).map(ForwardingStorageTest::sample).toArray();
            calls.clear();
            Object answer = method.invoke(layer, args);
            assertThat(calls).as(signature(method)).singleElement().satisfies(call -> {
                assertThat(signature(call.method())).isEqualTo(signature(method));
                assertThat(call.args()).containsExactly(args);
            });
            Class<?> type = method.getReturnType();
            if (type != void.class && type != boolean.class) {
                assertThat(answer).as(signature(method)).isSameAs(type == URI.class ? location
                        : type == InputStream.class ? bytes : type == Optional.class ? info : listing);
            }
        }
        for (String composed : COMPOSED) {
            assertThat(Arrays.stream(ForwardingStorage.class.getDeclaredMethods()).map(ForwardingStorageTest::signature))
                    .doesNotContain(composed);
        }
    }

    @Test
    void theRetryLayerDecidesForEveryCallThatReachesStorage() {
        // location() only names the storage; every other call is one a retry policy must cover, so
        // a call added to the SPI must not pass through the retry layer merely forwarded
        for (Method method : forwarded()) {
            if (method.getName().equals("location")) {
                continue;
            }
            assertThat(Arrays.stream(RetryingStorage.class.getDeclaredMethods()).map(ForwardingStorageTest::signature))
                    .as(signature(method)).contains(signature(method));
        }
    }

    private static Object sample(Class<?> type) {
        if (type == String.class) {
            return "wal/000000010000000000000001";
        }
        if (type == long.class) {
            return 7L;
        }
        if (type == InputStream.class) {
            return new ByteArrayInputStream(new byte[] {1, 2});
        }
        if (type == Collection.class) {
            return List.of("a", "b");
        }
        throw new AssertionError("no sample argument of type " + type + ": extend sample() for the new Storage method");
    }
}
