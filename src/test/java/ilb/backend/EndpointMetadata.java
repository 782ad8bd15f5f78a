package ilb.backend;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The metadata camel-package-maven-plugin generates for one of ilb's components, as Camel tooling reads it, held
 * against the endpoint class it describes: every option the class takes (its setters) must be there with its type
 * and its real default, so that an option added without metadata, or a default changed in one place only, fails.
 */
public record EndpointMetadata(String json, JsonNode properties) {

    private static final Map<Class<?>, String> TYPES = Map.of(int.class, "integer", Integer.class, "integer",
            double.class, "number", boolean.class, "boolean", Boolean.class, "boolean", Duration.class, "duration",
            String.class, "string");

    /** The generated JSON of the component of that scheme, from the classpath (target/classes). */
    public static EndpointMetadata of(Class<?> endpointClass, String scheme) throws IOException {
        String path = "META-INF/" + endpointClass.getPackageName().replace('.', '/') + "/" + scheme + ".json";
        try (InputStream in = endpointClass.getClassLoader().getResourceAsStream(path)) {
            assertThat(in).as(path + " (made by mvn process-classes)").isNotNull();
            String json = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            return new EndpointMetadata(json, new ObjectMapper().readTree(json).get("properties"));
        }
    }

    /** The options the endpoint class itself takes: its own public setters, by option name. */
    public static Map<String, Method> setters(Class<?> endpointClass) {
        Map<String, Method> setters = new TreeMap<>();
        for (Method method : endpointClass.getDeclaredMethods()) {
            if (Modifier.isPublic(method.getModifiers()) && method.getName().startsWith("set")
                    && method.getParameterCount() == 1) {
                String name = method.getName().substring(3);
                setters.put(Character.toLowerCase(name.charAt(0)) + name.substring(1), method);
            }
        }
        return setters;
    }

    /**
     * Checks that each of {@code endpoint}'s options is described with its type and, as its default, the value the
     * endpoint has before any is written (a duration as the same length of time). An option without a value by
     * default has no default in the metadata, or a note (defaultValueNote) of where its value comes from.
     */
    public void describesEveryOptionOf(Object endpoint) throws ReflectiveOperationException {
        Map<String, Method> setters = setters(endpoint.getClass());
        assertThat(setters).isNotEmpty();
        for (Map.Entry<String, Method> option : setters.entrySet()) {
            String name = option.getKey();
            Class<?> type = option.getValue().getParameterTypes()[0];
            JsonNode described = properties.get(name);
            assertThat(described).as("metadata of option " + name).isNotNull();
            assertThat(described.get("javaType").asText()).as(name + "'s javaType").isEqualTo(type.getName());
            String expectedType = described.has("enum") ? "enum" : TYPES.get(type);
            assertThat(described.get("type").asText()).as(name + "'s type").isEqualTo(expectedType);
            assertThat(described.path("description").asText()).as(name + "'s description").isNotBlank();

            Object value = endpoint.getClass().getMethod((type == boolean.class ? "is" : "get")
                    + Character.toUpperCase(name.charAt(0)) + name.substring(1)).invoke(endpoint);
            String written = described.has("defaultValue") ? described.get("defaultValue").asText() : null;
            if (value == null) {
                // the plugin writes a defaultValueNote at the end of the description
                assertThat(written == null || described.get("description").asText().contains("Default value notice"))
                        .as(name + " has no value by default, yet its metadata says " + written).isTrue();
            } else if (value instanceof Duration duration) {
                assertThat(written).as(name + "'s default").isNotNull();
                assertThat(Durations.of(written)).as(name + "'s default").isEqualTo(duration);
            } else if (value instanceof Double number) {
                assertThat(Double.parseDouble(written)).as(name + "'s default").isEqualTo(number);
            } else if ("".equals(value)) {
                assertThat(written).as(name + "'s default").isNull();
            } else {
                assertThat(written).as(name + "'s default").isEqualTo(String.valueOf(value));
            }
        }
    }
}
