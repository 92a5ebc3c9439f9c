package io.tokenmeter.normalize;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Locale;

/**
 * The {@code usage} object of the Azure OpenAI / OpenAI APIs, in both of its shapes: chat completions
 * ({@code prompt_tokens}, {@code completion_tokens}, {@code prompt_tokens_details.cached_tokens},
 * {@code completion_tokens_details.reasoning_tokens}) and responses ({@code input_tokens}, {@code output_tokens},
 * {@code input_tokens_details.cached_tokens}, {@code output_tokens_details.reasoning_tokens}). Detail objects and
 * their fields may be missing or null; cached tokens are part of the input, reasoning tokens part of the output.
 */
final class UsageObjects {

    /** Token counts as tokenmeter keeps them. */
    record Tokens(long input, long cached, long output, long reasoning) {
    }

    private UsageObjects() {
    }

    /** Reads a usage object; {@code field} names it in errors (e.g. usage, backendResponseBody.usage). */
    static Tokens read(JsonNode usage, String field) {
        if (usage == null || !usage.isObject()) {
            throw new FieldException(field, "must be an API usage object such as {\"prompt_tokens\":..,\"completion_tokens\":..}, got "
                    + (usage == null ? "nothing" : usage.getNodeType().name().toLowerCase(Locale.ROOT)));
        }
        boolean chat = !JsonFields.absent(usage.get("prompt_tokens")) || !JsonFields.absent(usage.get("completion_tokens"));
        boolean responses = !JsonFields.absent(usage.get("input_tokens")) || !JsonFields.absent(usage.get("output_tokens"));
        if (chat == responses) {
            throw new FieldException(field, chat ? "has both prompt_tokens/completion_tokens and input_tokens/output_tokens"
                    : "has neither prompt_tokens/completion_tokens (chat completions) nor input_tokens/output_tokens (responses)");
        }
        String in = chat ? "prompt_tokens" : "input_tokens";
        String out = chat ? "completion_tokens" : "output_tokens";
        long input = JsonFields.count(usage, in);
        long output = JsonFields.count(usage, out);
        long cached = detail(usage, in + "_details", "cached_tokens", field);
        long reasoning = detail(usage, out + "_details", "reasoning_tokens", field);
        if (cached > input) {
            throw new FieldException(field + "." + in + "_details.cached_tokens", cached + " is more than " + in + " " + input);
        }
        if (reasoning > output) {
            throw new FieldException(field + "." + out + "_details.reasoning_tokens", reasoning + " is more than " + out + " " + output);
        }
        return new Tokens(input, cached, output, reasoning);
    }

    private static long detail(JsonNode usage, String details, String count, String field) {
        JsonNode node = usage.get(details);
        if (JsonFields.absent(node)) {
            return 0;
        }
        if (!node.isObject()) {
            throw new FieldException(field + "." + details, "must be an object, got " + node.getNodeType().name().toLowerCase(Locale.ROOT));
        }
        return JsonFields.count(node, count);
    }
}
