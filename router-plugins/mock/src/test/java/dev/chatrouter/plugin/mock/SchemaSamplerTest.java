package dev.chatrouter.plugin.mock;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static dev.chatrouter.plugin.mock.Fixtures.parse;
import static dev.chatrouter.plugin.mock.Fixtures.schema;
import static org.assertj.core.api.Assertions.assertThat;

class SchemaSamplerTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
            {}                                                            | {}
            {"$ref": "#/$defs/Address"}                                   | {}
            {"type": "string"}                                            | "mock"
            {"type": "string", "format": "date"}                          | "2024-01-01"
            {"type": "string", "format": "date-time"}                     | "2024-01-01T00:00:00Z"
            {"type": "string", "format": "uuid"}                          | "00000000-0000-4000-8000-000000000000"
            {"type": "string", "minLength": 6}                            | "mockxx"
            {"type": "string", "maxLength": 2}                            | "mo"
            {"type": "string", "enum": ["b", "a"]}                        | "b"
            {"enum": [3, "x"]}                                            | 3
            {"const": {"k": [1]}}                                         | {"k": [1]}
            {"type": "integer"}                                           | 0
            {"type": "integer", "minimum": 2.5}                           | 3
            {"type": "integer", "exclusiveMinimum": 7}                    | 8
            {"type": "integer", "maximum": -4}                            | -4
            {"type": "integer", "exclusiveMaximum": 0}                    | -1
            {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1} | 0.5
            {"type": "number", "minimum": 10}                             | 10.0
            {"type": "boolean"}                                           | true
            {"type": "null"}                                              | null
            {"type": ["null", "integer"]}                                 | 0
            {"type": "array"}                                             | [{}]
            {"type": "array", "items": {"type": "integer"}, "minItems": 3} | [0, 0, 0]
            {"type": "array", "items": {"type": "integer"}, "maxItems": 0} | []
            {"type": "array", "prefixItems": [{"type": "string"}, {"type": "boolean"}]} | ["mock", true]
            {"oneOf": [{"type": "null"}, {"type": "boolean"}]}            | true
            {"anyOf": [{"type": "integer"}, {"type": "string"}]}          | 0
            {"properties": {"a": {"type": "string"}}}                     | {"a": "mock"}
            {"type": "object", "required": ["ghost"]}                     | {"ghost": {}}
            """)
    void samplesAValueThatFits(String schemaJson, String expected) {
        Object sample = SchemaSampler.sample(schema("{\"s\": " + schemaJson + "}").get("s"));

        assertThat(parse(MockCompletion.json(sample))).isEqualTo(parse(expected));
    }
}
