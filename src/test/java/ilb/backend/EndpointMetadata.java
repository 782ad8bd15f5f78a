package ilb.backend;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The metadata camel-package-maven-plugin generates for one of ilb's components, as Camel tooling reads it, held
 * against the classes it describes: every option the endpoint (or component) takes, its setters, must be there with
 * its type and its real default, so that an option added without metadata, or a default changed in one place only,
 * fails.
 */
public record EndpointMetadata(String json, JsonNode root) {

    private static final Map<Class<?>, String> TYPES = Map.of(int.class, "integer", Integer.class, "integer",
            double.class, "number", float.class, "number", boolean.class, "boolean", Boolean.class, "boolean",
            Duration.class, "duration", String.class, "string");

    /** The generated JSON of the component of that scheme, from the classpath (target/classes). */
    public static EndpointMetadata of(Class<?> endpointClass, String scheme) throws IOException {
        String path = "META-INF/" + endpointClass.getPackageName().replace('.', '/') + "/" + scheme + ".json";
        try (InputStream in = endpointClass.getClassLoader().getResourceAsStream(path)) {
            assertThat(in).as(path + " (made by mvn compile)").isNotNull();
            String json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return new EndpointMetadata(json, new ObjectMapper().readTree(json));
        }
    }

    /** The endpoint options, by name. */
    public JsonNode properties() {
        return root.get("properties");
    }

    /** The options a class itself takes: its own public setters, by option name. */
    private static Map<String, Method> setters(Class<?> type) {
        Map<String, Method> setters = new TreeMap<>();
        for (Method method : type.getDeclaredMethods()) {
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
        describesEveryOption(properties(), endpoint);
    }

    /** The same of the component's own options ({@code camel.component.<scheme>.*}). */
    public void describesEveryComponentOptionOf(Object component) throws ReflectiveOperationException {
        describesEveryOption(root.get("componentProperties"), component);
    }

    private static void describesEveryOption(JsonNode properties, Object target) throws ReflectiveOperationException {
        Map<String, Method> setters = setters(target.getClass());
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

            Object value = target.getClass().getMethod((type == boolean.class ? "is" : "get")
                    + Character.toUpperCase(name.charAt(0)) + name.substring(1)).invoke(target);
            String written = described.has("defaultValue") ? described.get("defaultValue").asText() : null;
            if (value == null) {
                // the plugin writes a defaultValueNote at the end of the description
                assertThat(written == null || described.get("description").asText().contains("Default value notice"))
                        .as(name + " has no value by default, yet its metadata says " + written).isTrue();
            } else if (value instanceof Duration duration) {
                assertThat(written).as(name + "'s default").isNotNull();
                assertThat(Durations.of(written)).as(name + "'s default").isEqualTo(duration);
            } else if (value instanceof Double || value instanceof Float) {
                assertThat(Double.parseDouble(written)).as(name + "'s default")
                        .isEqualTo(((Number) value).doubleValue());
            } else if ("".equals(value)) {
                assertThat(written).as(name + "'s default").isNull();
            } else {
                assertThat(written).as(name + "'s default").isEqualTo(String.valueOf(value));
            }
        }
    }
}
