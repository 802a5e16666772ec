package dev.chatrouter.plugin.openai;

import java.util.Map;

/**
 * Defaults for well-known OpenAI-compatible APIs: the base URL, and which output-limit field the API takes.
 * A provider picks one with {@code preset:}, or by having a preset's name as its id.
 */
record Preset(String name, String baseUrl, String maxTokensField) {

    static final Map<String, Preset> ALL = Map.of(
            "openai", new Preset("openai", "https://api.openai.com/v1", "max_completion_tokens"),
            "groq", new Preset("groq", "https://api.groq.com/openai/v1", "max_completion_tokens"),
            "openrouter", new Preset("openrouter", "https://openrouter.ai/api/v1", "max_tokens"),
            "deepinfra", new Preset("deepinfra", "https://api.deepinfra.com/v1/openai", "max_tokens"),
            "together", new Preset("together", "https://api.together.xyz/v1", "max_tokens"),
            "fireworks", new Preset("fireworks", "https://api.fireworks.ai/inference/v1", "max_tokens"),
            "mistral", new Preset("mistral", "https://api.mistral.ai/v1", "max_tokens"),
            "ollama", new Preset("ollama", "http://localhost:11434/v1", "max_tokens"),
            "vllm", new Preset("vllm", "http://localhost:8000/v1", "max_tokens"),
            "directinference", new Preset("directinference", "https://app.directinference.com/di/v1", "max_tokens"));
}
