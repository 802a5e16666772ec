package dev.chatrouter.api;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The build check of docs/architecture.md#modules: router-api's public signatures name JDK types and its own types only, so no
 * Vert.x, Jackson or Caffeine type (or any other library's) can leak into the API.
 */
class RouterApiSurfaceTest {

    private static final String OWN = "dev.chatrouter.api";

    @Test
    void publicSignaturesUseOnlyJdkAndApiTypes() throws Exception {
        List<Class<?>> classes = apiClasses();
        assertThat(classes).as("api classes found").hasSizeGreaterThan(30);
        List<String> offenders = new ArrayList<>();
        for (Class<?> type : classes) {
            if (!Modifier.isPublic(type.getModifiers())) {
                continue;
            }
            check(type.getGenericSuperclass(), type + " extends", offenders);
            for (Type iface : type.getGenericInterfaces()) {
                check(iface, type + " implements", offenders);
            }
            for (Method m : type.getDeclaredMethods()) {
                if (Modifier.isPublic(m.getModifiers()) || Modifier.isProtected(m.getModifiers())) {
                    check(m.getGenericReturnType(), m.toString(), offenders);
                    for (Type p : m.getGenericParameterTypes()) {
                        check(p, m.toString(), offenders);
                    }
                    for (Type e : m.getGenericExceptionTypes()) {
                        check(e, m.toString(), offenders);
                    }
                }
            }
            for (var c : type.getDeclaredConstructors()) {
                if (Modifier.isPublic(c.getModifiers())) {
                    for (Type p : c.getGenericParameterTypes()) {
                        check(p, c.toString(), offenders);
                    }
                }
            }
            for (Field f : type.getDeclaredFields()) {
                if (Modifier.isPublic(f.getModifiers())) {
                    check(f.getGenericType(), f.toString(), offenders);
                }
            }
            if (type.isRecord()) {
                for (RecordComponent rc : type.getRecordComponents()) {
                    check(rc.getGenericType(), type.getName() + "." + rc.getName(), offenders);
                }
            }
        }
        assertThat(offenders).as("non-JDK types in router-api's public API").isEmpty();
    }

    @Test
    void theCheckCatchesAForeignType() {
        List<String> offenders = new ArrayList<>();
        check(org.assertj.core.api.Assertions.class, "probe", offenders);
        assertThat(offenders).hasSize(1);
    }

    private static void check(Type type, String where, List<String> offenders) {
        if (type == null) {
            return;
        }
        if (type instanceof Class<?> c) {
            while (c.isArray()) {
                c = c.getComponentType();
            }
            if (c.isPrimitive()) {
                return;
            }
            String name = c.getName();
            boolean jdk = name.startsWith("java.") || name.startsWith("javax.");
            if (!jdk && !name.startsWith(OWN + ".") && !name.equals(OWN)) {
                offenders.add(where + " uses " + name);
            }
        } else if (type instanceof ParameterizedType p) {
            check(p.getRawType(), where, offenders);
            for (Type arg : p.getActualTypeArguments()) {
                check(arg, where, offenders);
            }
        } else if (type instanceof GenericArrayType g) {
            check(g.getGenericComponentType(), where, offenders);
        } else if (type instanceof WildcardType w) {
            for (Type b : w.getUpperBounds()) {
                check(b, where, offenders);
            }
            for (Type b : w.getLowerBounds()) {
                check(b, where, offenders);
            }
        } else if (type instanceof TypeVariable<?> v) {
            for (Type b : v.getBounds()) {
                if (b != Object.class) {
                    check(b, where, offenders);
                }
            }
        }
    }

    private static List<Class<?>> apiClasses() throws IOException, URISyntaxException, ClassNotFoundException {
        Path root = Path.of(ChatRouter.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<Class<?>> classes = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                String rel = root.relativize(file).toString().replace('\\', '/');
                if (rel.endsWith(".class") && !rel.contains("module-info")) {
                    classes.add(Class.forName(rel.substring(0, rel.length() - 6).replace('/', '.'), false,
                            RouterApiSurfaceTest.class.getClassLoader()));
                }
            }
        }
        return classes;
    }
}
